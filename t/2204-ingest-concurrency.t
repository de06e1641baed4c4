#!/bin/sh
# Postfix delivers the mails of a series in parallel and in any order:
# the series, their completeness and the events must come out as with
# one delivery after another in posting order (spec §17.2).
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

ROUNDS=${PW_TEST_ROUNDS:-5}
N=22		# patches per version
P=8		# deliveries at once

add_project test test.example.org

# Start from an empty project.
reset() {
	sql -c "TRUNCATE mail, event, patch_tag, patch_comment, cover_comment,
		series_dependency, series_reference, patch, series, cover, person
		RESTART IDENTITY CASCADE"
}

test_expect_success 'setup: a series with a cover letter, and its v2' '
	mkdir m &&
	mkmail series m v1 $N --cover &&
	mkmail series m v2 $N --cover --version 2 --date 1700003600 \
		--trailer "Changes in v2: everything." &&
	mkmail --msgid rev@x --subject "Re: [PATCH 03/$N] v1: change 3" \
		--irt v1-3@example.org --file "" --date 1700000100 \
		--body "Reviewed-by: R <r@example.org>" >m/zz-review &&
	ls m | wc -l >n && test "$(cat n)" = $((2 * N + 3))
'

test_expect_success 'sequential delivery in posting order' '
	reset &&
	for f in m/v1-* m/v2-*; do deliver $f || return 1; done &&
	dump_all >expect &&
	cat >expect-series <<-EOF &&
	<v1-0@example.org>|v1 series|1|$N|$N|$(seq -s, 1 $N)
	<v2-0@example.org>|v2 series|2|$N|$N|$(seq -s, 1 $N)
	EOF
	dump_series >actual &&
	test_cmp expect-series actual &&
	test "$(count event "category = '"'"'patch-completed'"'"'")" = $((2 * N)) &&
	test "$(count event "category = '"'"'series-completed'"'"'")" = 2
'

round=0
while [ $round -lt "$ROUNDS" ]; do
	round=$((round + 1))
	test_expect_success "round $round: $((2 * N + 2)) mails, $P at a time, random order" '
		reset &&
		yes "seed $round" | head -c 65536 >seed &&
		ls m/v1-* m/v2-* | shuf --random-source=seed >order &&
		xargs -P $P -n 1 sh -c "pw ingress <\"\$1\"" sh <order &&
		dump_all >actual &&
		test_cmp expect actual || { echo "order:"; cat order; false; }
	'
done

test_expect_success 'a comment delivered with its parent series, after it' '
	deliver m/zz-review &&
	test "$(count patch_comment)" = 1 &&
	test "$(sql -c "SELECT count(*) FROM patch_tag")" = 1
'

test_done
