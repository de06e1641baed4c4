#!/bin/sh
# pw mail: list, show, reparse and prune the raw mail journal.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org

test_expect_success 'setup: stored, no-project and malformed entries' '
	mkdir m && mkmail series m s 2 --cover &&
	for f in m/*; do deliver $f || return 1; done &&
	mkmail --msgid later@x --list later.example.org --body "Acked-by: A <a@example.org>" >later &&
	deliver later &&
	printf "Subject: broken\n\nno headers to speak of\n" >broken &&
	deliver broken &&
	test "$(count mail)" = 5
'

test_expect_success 'list: every entry, oldest first; filtered by status' '
	pw mail list >out &&
	test $(wc -l <out) = 5 &&
	cut -f3 out >actual &&
	printf "stored\nstored\nstored\nno_project\nmalformed\n" >expect &&
	test_cmp expect actual &&
	pw mail list --status no_project >out &&
	test "$(cut -f3,5,6 out)" = "$(printf "no_project\t-\t<later@x>")" &&
	pw mail list --status stored --limit 2 >out &&
	test $(wc -l <out) = 2 &&
	pw mail list --since 2000-01-01 --until 2999-01-01 >out &&
	test $(wc -l <out) = 5 &&
	pw mail list --until 2000-01-01 >out &&
	test_must_be_empty out
'

test_expect_success 'list: bad arguments are usage errors (64)' '
	test_expect_code 64 pw mail list --status nonsense &&
	test_expect_code 64 pw mail list --since yesterday-ish &&
	test_expect_code 64 pw mail list --limit 0 &&
	test_expect_code 64 pw mail frobnicate
'

test_expect_success 'show: the bytes as received' '
	id=$(sql -c "SELECT id FROM mail WHERE msgid = '"'"'<s-1@example.org>'"'"'") &&
	pw mail show $id >out &&
	test_cmp m/s-01 out &&
	test_expect_code 65 pw mail show 999999
'

test_expect_success 'reparse --no-project once the project exists' '
	add_project later later.example.org &&
	pw mail reparse --no-project >out &&
	test_grep "	stored patch	" out &&
	test "$(count patch "msgid = '"'"'<later@x>'"'"'")" = 1 &&
	test "$(sql -c "SELECT status FROM mail WHERE msgid = '"'"'<later@x>'"'"'")" = stored &&
	test "$(sql -c "SELECT count FROM patch_tag pt JOIN patch p ON p.id = pt.patch_id WHERE p.msgid = '"'"'<later@x>'"'"'")" = 1
'

test_expect_success 'reparse is idempotent: nothing new, still stored' '
	before=$(dump_all; count mail; count patch_tag) &&
	pw mail reparse --since 2000-01-01 >out &&
	test $(wc -l <out) = 5 &&
	test "$(grep -c "unchanged" out)" = 4 &&
	test "$before" = "$(dump_all; count mail; count patch_tag)" &&
	test "$(sql -c "SELECT count(*) FROM mail WHERE status = '"'"'stored'"'"'")" = 4
'

test_expect_success 'reparse re-derives what the parser makes of a stored mail' '
	sql -c "UPDATE patch SET content = '"'"'mangled'"'"', name = '"'"'old'"'"' WHERE msgid = '"'"'<later@x>'"'"'" &&
	sql -c "DELETE FROM patch_tag" &&
	id=$(sql -c "SELECT id FROM mail WHERE msgid = '"'"'<later@x>'"'"'") &&
	pw mail reparse $id >out &&
	test_grep "fields re-derived" out &&
	test "$(sql -c "SELECT name FROM patch WHERE msgid = '"'"'<later@x>'"'"'")" = "test" &&
	test "$(sql -c "SELECT count(*) FROM patch_tag")" = 1 &&
	test "$(count patch)" = 3
'

test_expect_success 'reparse --failed' '
	mkmail --msgid f1@x >f1 &&
	sql -c "INSERT INTO mail (sha256, size, raw, status, reason)
		VALUES (sha256(decode('"'"'01'"'"', '"'"'hex'"'"')), $(wc -c <f1),
		decode('"'"'$(od -An -tx1 -v f1 | tr -d " \n")'"'"', '"'"'hex'"'"'),
		'"'"'failed'"'"', '"'"'a bug, since fixed'"'"')" &&
	pw mail reparse --failed >out &&
	test_grep "stored patch" out &&
	test "$(count patch "msgid = '"'"'<f1@x>'"'"'")" = 1 &&
	pw mail reparse --failed >out &&
	test_must_be_empty out
'

test_expect_success 'reparse: a missing entry is reported (65)' '
	test_expect_code 65 pw mail reparse 999999 >out &&
	test_grep "no journal entry" out &&
	test_expect_code 64 pw mail reparse &&
	test_expect_code 64 pw mail reparse 1 --failed
'

test_expect_success 'prune: no_project entries beyond the age limit' '
	mkmail --msgid old@x --list gone.example.org >old &&
	mkmail --msgid new@x --list gone.example.org >new &&
	deliver old && deliver new &&
	sql -c "UPDATE mail SET received_at = now() - interval '"'"'40 days'"'"' WHERE msgid = '"'"'<old@x>'"'"'" &&
	pw mail prune -n >out &&
	test "$(cat out)" = "would prune 1 no_project entries older than 30 days" &&
	test "$(count mail "status = '"'"'no_project'"'"'")" = 2 &&
	pw mail prune >out &&
	test "$(cat out)" = "pruned 1 no_project entries older than 30 days" &&
	test "$(count mail "msgid = '"'"'<old@x>'"'"'")" = 0 &&
	pw mail prune --older-than 1 >out &&
	test "$(count mail "msgid = '"'"'<new@x>'"'"'")" = 1 &&
	test "$(count mail "status = '"'"'stored'"'"'")" = 5
'

test_done
