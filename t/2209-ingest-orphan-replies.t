#!/bin/sh
# Replies that arrive before what they answer (after an outage the MTA
# delivers its backlog in parallel): each is journaled as dropped with its
# references, and parsed again once its parent is stored, so that the end
# state is the one of delivery in posting order (sql/0004).
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

ROUNDS=${PW_TEST_ROUNDS:-3}

add_project test test.example.org

reset() {
	sql -c "TRUNCATE mail, event, patch_tag, patch_comment, cover_comment,
		series_dependency, series_reference, patch, series, cover, person
		RESTART IDENTITY CASCADE"
}

# Everything a reply's fate shows in: the objects, events and tags, what
# each comment hangs on, and each journal entry's outcome.
dump() {
	dump_all &&
	echo "# comments" &&
	sql -c "SELECT c.msgid, p.msgid, coalesce(c.addressed::text, '-')
		FROM patch_comment c JOIN patch p ON p.id = c.patch_id
		UNION ALL SELECT c.msgid, v.msgid, '-'
		FROM cover_comment c JOIN cover v ON v.id = c.cover_id
		ORDER BY 1" &&
	echo "# tags" &&
	sql -c "SELECT p.msgid, t.name, pt.count FROM patch_tag pt
		JOIN patch p ON p.id = pt.patch_id JOIN tag t ON t.id = pt.tag_id
		ORDER BY 1, 2" &&
	echo "# journal" &&
	sql -c "SELECT msgid, status, coalesce(reason, '-') FROM mail
		ORDER BY 1"
}

test_expect_success 'setup: a series with a cover letter and its replies' '
	mkdir s r &&
	mkmail series s s 3 --cover &&
	mkmail --msgid r1@x --subject "Re: [PATCH 2/3] s: change 2" \
		--irt s-2@example.org --refs s-0@example.org --file "" \
		--date 1700000100 --body "Reviewed-by: R <r@example.org>" >r/r1 &&
	mkmail --msgid r2@x --subject "Re: [PATCH 0/3] s series" \
		--irt s-0@example.org --file "" --date 1700000110 \
		--body "Thanks for the series." >r/r2 &&
	mkmail --msgid r3@x --subject "Re: [PATCH 2/3] s: change 2" \
		--irt r1@x --refs "s-0@example.org s-2@example.org" \
		--file "" --date 1700000120 \
		--body "Acked-by: A <a@example.org>" >r/r3 &&
	mkmail --msgid r4@x --subject "Re: [PATCH 2/3] s: change 2" \
		--irt r1@x --file "" --date 1700000130 \
		--body "Only In-Reply-To here." >r/r4 &&
	mkmail --msgid r5@x --subject "Re: something else" \
		--irt nowhere@x --file "" --date 1700000140 \
		--body "A reply to a mail we never get." >r/r5 &&
	mkmail --msgid r6@x --subject "Re: [PATCH 0/3] s series" \
		--irt r2@x --file "" --date 1700000150 \
		--body "A reply to the reply to the cover." >r/r6
'

test_expect_success 'in posting order' '
	for f in s/* r/*; do deliver $f || return 1; done &&
	dump >expect &&
	test "$(sql -c "SELECT msgid FROM patch_comment ORDER BY 1" | tr "\n" " ")" = "<r1@x> <r3@x> <r4@x> " &&
	test "$(sql -c "SELECT msgid FROM cover_comment ORDER BY 1" | tr "\n" " ")" = "<r2@x> <r6@x> " &&
	test "$(sql -c "SELECT status FROM mail WHERE msgid = '"'"'<r5@x>'"'"'")" = dropped &&
	test "$(count patch_tag)" = 2
'

test_expect_success 'replies first, one at a time: the same end state' '
	reset &&
	for f in r/*; do deliver $f || return 1; done &&
	test "$(count mail "status = '"'"'dropped'"'"'")" = 6 &&
	test "$(count mail "refs IS NOT NULL")" = 6 &&
	for f in s/*; do deliver $f || return 1; done &&
	dump >actual &&
	test_cmp expect actual
'

test_expect_success 'replies first, then the patches last to first' '
	reset &&
	for f in r/r6 r/r5 r/r4 r/r3 r/r2 r/r1; do deliver $f || return 1; done &&
	for f in s/s-03 s/s-02 s/s-01 s/s-00; do deliver $f || return 1; done &&
	dump >actual &&
	test_cmp expect actual
'

test_expect_success 'a reply to a patch waits for it when the cover comes first' '
	reset &&
	deliver r/r1 && deliver s/s-00 &&
	test "$(sql -c "SELECT status FROM mail WHERE msgid = '"'"'<r1@x>'"'"'")" = dropped &&
	test "$(count cover_comment)" = 0 &&
	deliver s/s-01 && deliver s/s-02 &&
	test "$(sql -c "SELECT p.msgid FROM patch_comment c JOIN patch p ON p.id = c.patch_id")" = "<s-2@example.org>"
'

round=0
while [ $round -lt "$ROUNDS" ]; do
	round=$((round + 1))
	test_expect_success "round $round: replies in parallel, then the series in parallel" '
		reset &&
		yes "seed $round" | head -c 65536 >seed &&
		ls r/* | shuf --random-source=seed >order-r &&
		ls s/* | shuf --random-source=seed >order-s &&
		xargs -P 6 -n 1 sh -c "pw ingress <\"\$1\"" sh <order-r &&
		xargs -P 4 -n 1 sh -c "pw ingress <\"\$1\"" sh <order-s &&
		dump >actual &&
		test_cmp expect actual ||
		{ echo "order:"; cat order-r order-s; false; }
	'
done

test_expect_success 'over LMTP too' '
	reset &&
	for f in r/* s/*; do
		printf "MAIL FROM:<b@example.org>\r\nRCPT TO:<l@example.org>\r\nDATA\r\n"
		sed -e "s/^\./../" -e "s/\$/\r/" $f
		printf ".\r\n"
	done >body &&
	{ printf "LHLO t\r\n"; cat body; printf "QUIT\r\n"; } >session &&
	chmod 644 session &&
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- pw ingress --lmtp <session >out
	else
		pw ingress --lmtp <session >out
	fi &&
	test "$(grep -c "^250 2\.0\.0 <" out)" = 10 &&
	dump >actual &&
	test_cmp expect actual
'

test_done
