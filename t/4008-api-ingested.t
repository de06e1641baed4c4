#!/bin/sh
# REST API over data made by our own ingest: a v2 series with a cover
# letter and replies, delivered with pw ingress, read back through every
# resource it touches.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh
printf 'http {\n\tbase_url = "https://pw.example.org"\n}\n' >patchwork.conf
PW_CONFIG=$TRASH/patchwork.conf
export PW_CONFIG
B=https://pw.example.org/api/1.3

add_project test test.example.org

test_expect_success 'ingest a series, a review and a reply to the cover' '
	mkdir s && mkmail series s v2 3 --cover --version 2 \
		--trailer "Signed-off-by: Alice Example <alice@example.org>" &&
	for f in s/v2-00 s/v2-01 s/v2-02 s/v2-03; do
		deliver $f || return 1
	done &&
	mkmail --msgid r1@example.org --irt v2-1@example.org \
		--from "Jörg Reviewer <joerg@example.de>" \
		--subject "Re: [PATCH v2 1/3] v2: change 1" --file "" \
		--body "Reviewed-by: Jörg Reviewer <joerg@example.de>" >r1 &&
	deliver r1 &&
	mkmail --msgid r0@example.org --irt v2-0@example.org \
		--subject "Re: [PATCH v2 0/3] v2 series" --file "" \
		--body "Looks good." >r0 &&
	deliver r0 &&
	test "$(count patch)" = 3 && test "$(count patch_comment)" = 1 &&
	test "$(count cover_comment)" = 1
'

test_expect_success 'series: version, totals, cover, patches in order' '
	api_get /api/1.3/series/ "project=test" &&
	test_body_compact &&
	test "$(jp "len(d)")" = 1 &&
	test "$(jp "[d[0][k] for k in (\"version\", \"total\", \"received_total\", \"received_all\")]")" = "[2,3,3,true]" &&
	test "$(jp "d[0][\"cover_letter\"][\"msgid\"]")" = "<v2-0@example.org>" &&
	test "$(jp "[p[\"name\"] for p in d[0][\"patches\"]]")" = "[\"[v2,1/3] v2: change 1\",\"[v2,2/3] v2: change 2\",\"[v2,3/3] v2: change 3\"]" &&
	test "$(jp "d[0][\"patches\"][0][\"mbox\"]")" = "https://pw.example.org/project/test/patch/v2-1@example.org/mbox/"
'

test_expect_success 'a patch: stored headers parse back, prefixes, hash, series' '
	id=$(sql -c "SELECT id FROM patch WHERE msgid = \$\$<v2-1@example.org>\$\$") &&
	api_get /api/1.3/patches/$id/ &&
	test_body_compact &&
	test "$(jp "d[\"headers\"][\"Message-Id\"]")" = "<v2-1@example.org>" &&
	test "$(jp "d[\"headers\"][\"Subject\"]")" = "[PATCH v2 1/3] v2: change 1" &&
	test "$(jp "d[\"prefixes\"]")" = "[\"v2\",\"1/3\"]" &&
	jp "d[\"hash\"]" | grep -Eqx "[0-9a-f]{40}" &&
	test "$(jp "d[\"hash\"]")" = "$(sql -c "SELECT hash FROM patch WHERE id = $id")" &&
	jp "d[\"diff\"]" | grep -q "^diff --git" &&
	test "$(jp "d[\"state\"]")" = new &&
	test "$(jp "d[\"submitter\"][\"email\"]")" = alice@example.org &&
	test "$(jp "d[\"series\"][0][\"version\"]")" = 2 &&
	api_get /api/1.3/patches/ "hash=$(sql -c "SELECT hash FROM patch WHERE id = $id")" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[$id]" &&
	api_get /api/1.3/patches/ "msgid=v2-2@example.org" &&
	test "$(jp "[p[\"name\"] for p in d]")" = "[\"[v2,2/3] v2: change 2\"]"
'

test_expect_success 'comments: the review on the patch, the reply on the cover' '
	id=$(sql -c "SELECT id FROM patch WHERE msgid = \$\$<v2-1@example.org>\$\$") &&
	api_get /api/1.3/patches/$id/comments/ &&
	test "$(jp "[c[\"subject\"] for c in d]")" = "[\"Re: [PATCH v2 1/3] v2: change 1\"]" &&
	test "$(jp "d[0][\"submitter\"][\"name\"]")" = "Jörg Reviewer" &&
	jp "d[0][\"content\"]" | grep -q "Reviewed-by: Jörg Reviewer" &&
	cid=$(sql -c "SELECT id FROM cover") &&
	api_get /api/1.3/covers/$cid/comments/ &&
	test "$(jp "[c[\"msgid\"] for c in d]")" = "[\"<r0@example.org>\"]"
'

test_expect_success 'events: what ingest wrote, newest first, comments from 1.3' '
	api_get /api/1.3/events/ "project=test&per_page=100" &&
	jp "\"\\n\".join(e[\"category\"] for e in d)" | sort | uniq -c |
		sed "s/^ *//" >actual &&
	sql -c "SELECT count(*) || \$\$ \$\$ || category FROM event GROUP BY category ORDER BY category" >expect &&
	test_cmp expect actual &&
	api_get /api/1.2/events/ "project=test&category=patch-comment-created" &&
	test_body_is "[]" &&
	api_get /api/1.3/events/ "category=series-completed" &&
	test "$(jp "d[0][\"payload\"][\"series\"][\"url\"]")" = "$B/series/$(sql -c "SELECT id FROM series")/"
'

test_done
