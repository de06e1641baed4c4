#!/bin/sh
# pw db export / import on a Django-0046-shaped database of our own
# (t/data/django/0046-small.sql), so a clone without ../shared tests the
# migration: ghost cover rows, orphans, NULLs, dates, refusals, the psql
# path, all-or-nothing import.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-auth.sh

test_setup_db

url() { echo "host=$PGHOST user=postgres dbname=$1"; }
newdb() { "$PG_BINDIR/createdb" -h "$PGHOST" -U postgres "$@"; }
dj() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d django "$@"; }
# A freshly synced target: a copy of one synced once.
newdb synced && PW_DATABASE_URL=$(url synced) pw db sync >/dev/null || exit 1
target() {
	newdb -T synced "$1"
}
# Imports that must fail all go to one target, which must stay empty.
target scratch || exit 1
still_empty() {
	psql -X -A -t -d scratch -c "SELECT (SELECT count(*) FROM patch) + (SELECT count(*) FROM auth_user) + (SELECT count(*) FROM project)" >got &&
	echo 0 >expect &&
	test_cmp expect got &&
	psql -X -A -t -d scratch -c "SELECT count(*) FROM state" >got &&
	echo 10 >expect &&
	test_cmp expect got
}
import_into() {
	local db=$1
	shift
	PW_DATABASE_URL=$(url "$db") pw db import "$@"
}

newdb django || exit 1
dj -f "$SRC_DIR/t/data/django/0046-small.sql" >/dev/null || exit 1

test_expect_success 'export through the dispatcher (--database-url)' '
	pw --database-url "$(url django)" db export >data.sql 2>report &&
	test_grep "^-- format: 1$" data.sql &&
	test_grep "^-- source: Django Patchwork, migration 0046 (django_migrations says 0046_patch_comment_events)$" data.sql &&
	test_grep "^-- time-zone: Australia/Canberra$" data.sql &&
	test_grep "^-- local-since: none$" data.sql &&
	tail -n 1 data.sql >last &&
	echo "-- end of export" >expect &&
	test_cmp expect last
'

test_expect_success 'export --from gives the same data' '
	pw db export --from "$(url django)" -q -o again.sql &&
	grep -v "^-- created:" data.sql >a &&
	grep -v "^-- created:" again.sql >b &&
	test_cmp a b
'

test_expect_success 'the report: rows read and written per table' '
	sed -n "/^table /,/^rows skipped/p" report >got &&
	cat >expect <<-\EOF &&
	table                              read    written
	state                                 3          3
	tag                                   1          1
	auth_user                             4          4
	auth_token                            2          2
	project                               3          3
	project_maintainer                    3          3
	person                                4          4
	delegation_rule                       1          1
	patch_relation                        1          1
	cover                                 2          2
	series                                2          2
	series_reference                      1          1
	series_dependency                     0          0
	patch                                 5          4
	patch_comment                         3          1
	cover_comment                         1          2
	patch_tag                             3          1
	ci_check                              3          3
	bundle                                1          1
	bundle_patch                          3          2
	event                                 6          4
	email_confirmation                    1          1
	email_optout                          1          1
	patch_change_notification             1          1
	rows skipped or changed (18):
	EOF
	test_cmp expect got
'

test_expect_success 'the report: every row skipped or changed, with why' '
	sed -n "/^rows skipped/,/^password hashes/p" report | sed "1d;\$d" |
		sort >got &&
	sort >expect <<-\EOF &&
	  series 2: no project in Django; given project 2, the project of its patches, cover or references
	  patch 13: hash '"'ABCDEF0123456789ABCDEF0123456789ABCDEF01'"' lower-cased
	  bundle 1: name '"'my/bundle'"' renamed '"'my-bundle'"' (no '"'/'"' in a bundle name, which is a URL segment)
	  email_optout '"'"' Dev@Example.COM'"'"': stored as '"'dev@example.com'"'
	  patch 10: skipped, the leftover copy of pre-3.0 cover letter 10 (same id, msgid and project)
	  patch_comment 21: moved to cover 10 as cover_comment 6 (reply filed on ghost patch 10)
	  patch_tag 3: skipped, a tag count on ghost patch 10
	  event 3: patch-comment-created on ghost patch 10 changed to cover-comment-created on cover 10, cover_comment 6
	  event 4: skipped, patch-state-changed on ghost patch 10
	  person 4: user_id 77 has no auth_user row; set to NULL
	  patch 12: state_id is NULL; set to 1 (the first state)
	  patch_comment 22: skipped, patch_id 99 has no patch row
	  patch_tag 2: skipped, tag_id 9 has no tag row
	  ci_check 2: user_id 99 has no auth_user row; set to NULL
	  bundle_patch 3: skipped, patch_id 77 has no patch row
	  event 2: skipped, created_check_id 7 has no ci_check row
	  auth_user 3 (ci): no profile row; send_email false, items_per_page 100, show_ids false
	  auth_user 4 (gone): no profile row; send_email false, items_per_page 100, show_ids false
	EOF
	test_cmp expect got
'

test_expect_success 'the report: passwords, staff, sessions, site' '
	test_grep "^  unusable  *1  cannot log in until they reset their password: ci$" report &&
	test_grep "^  pbkdf2_sha1  *1$" report &&
	test_grep "^sessions: 1 live Django sessions are not carried" report &&
	test_grep "^django_site domain: pw.example.net" report &&
	test_grep "^time zone Australia/Canberra: 7 of 7 sampled mails agree" report
'

test_expect_success 'import into a freshly synced database' '
	pw db import data.sql 2>ireport &&
	test_grep "^imported 48 rows; row counts match" ireport
'

test_expect_success 'row counts' '
	for t in state:3 tag:1 auth_user:4 auth_token:2 project:3 \
		project_maintainer:3 person:4 delegation_rule:1 \
		patch_relation:1 cover:2 series:2 series_reference:1 patch:4 \
		patch_comment:1 cover_comment:2 patch_tag:1 ci_check:3 bundle:1 \
		bundle_patch:2 event:4 email_confirmation:1 email_optout:1 \
		patch_change_notification:1
	do
		echo "${t%%:*} $(sql -c "SELECT count(*) FROM ${t%%:*}")"
	done >got &&
	echo "state:3 tag:1 auth_user:4 auth_token:2 project:3 project_maintainer:3 person:4 delegation_rule:1 patch_relation:1 cover:2 series:2 series_reference:1 patch:4 patch_comment:1 cover_comment:2 patch_tag:1 ci_check:3 bundle:1 bundle_patch:2 event:4 email_confirmation:1 email_optout:1 patch_change_notification:1" |
		tr " :" "\n " >expect &&
	test_cmp expect got
'

test_expect_success 'ids are preserved, the ghost is gone' '
	sql -c "SELECT string_agg(id::text, \$\$,\$\$ ORDER BY id) FROM patch" >got &&
	echo "11,12,13,14" >expect &&
	test_cmp expect got &&
	sql -c "SELECT id FROM state ORDER BY id" >got &&
	printf "1\n2\n42\n" >expect &&
	test_cmp expect got
'

test_expect_success 'mail dates become true instants; Django-local ones stay' '
	sql -c "SELECT id || \$\$ \$\$ || date FROM patch ORDER BY id" >got &&
	cat >expect <<-\EOF &&
	11 2021-06-01 08:01:00+00
	12 2021-06-01 08:02:00+00
	13 2021-07-01 08:00:00+00
	14 2021-08-01 08:00:00+00
	EOF
	test_cmp expect got &&
	sql -c "SELECT date FROM cover WHERE id = 2" >got &&
	echo "2021-06-01 08:00:00+00" >expect &&
	test_cmp expect got &&
	sql -c "SELECT date FROM event WHERE id = 6" >got &&
	echo "2021-06-01 09:00:10+00" >expect &&
	test_cmp expect got &&
	sql -c "SELECT date_joined FROM auth_user WHERE id = 1" >got &&
	echo "2019-12-31 23:00:00+00" >expect &&
	test_cmp expect got
'

test_expect_success 'text comes across byte for byte' '
	dj -c "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, msgid, name, headers, content, diff, pull_url), \$\$#\$\$ ORDER BY id)) FROM patchwork_patch WHERE id > 10" >expect &&
	sql -c "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, msgid, name, headers, content, diff, pull_url), \$\$#\$\$ ORDER BY id)) FROM patch" >got &&
	test_cmp expect got &&
	dj -c "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, email, name), \$\$#\$\$ ORDER BY id)) FROM patchwork_person" >expect &&
	sql -c "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, email, name), \$\$#\$\$ ORDER BY id)) FROM person" >got &&
	test_cmp expect got &&
	sql -c "SELECT name FROM person WHERE id = 3" >got &&
	echo "山田太郎 😀" >expect &&
	test_cmp expect got
'

test_expect_success 'the ghost reply is a cover comment, its event follows' '
	sql -c "SELECT id, cover_id, msgid FROM cover_comment ORDER BY id" >got &&
	cat >expect <<-\EOF &&
	5|2|<cr@example.org>
	6|10|<late@example.org>
	EOF
	test_cmp expect got &&
	sql -c "SELECT category, cover_id, cover_comment_id, patch_id IS NULL, patch_comment_id IS NULL FROM event WHERE id = 3" >got &&
	echo "cover-comment-created|10|6|t|t" >expect &&
	test_cmp expect got
'

test_expect_success 'checks keep their NULLs; orphans are fixed as reported' '
	sql -c "SELECT id, target_url IS NULL, description IS NULL, coalesce(user_id, 0) FROM ci_check ORDER BY id" >got &&
	cat >expect <<-\EOF &&
	1|t|t|3
	2|f|f|0
	3|f|f|3
	EOF
	test_cmp expect got &&
	sql -c "SELECT state_id FROM patch WHERE id = 12" >got &&
	echo 1 >expect &&
	test_cmp expect got &&
	sql -c "SELECT hash FROM patch WHERE id = 13" >got &&
	echo abcdef0123456789abcdef0123456789abcdef01 >expect &&
	test_cmp expect got &&
	sql -c "SELECT project_id FROM series WHERE id = 2" >got &&
	echo 2 >expect &&
	test_cmp expect got &&
	sql -c "SELECT name FROM bundle" >got &&
	echo my-bundle >expect &&
	test_cmp expect got &&
	sql -c "SELECT email FROM email_optout" >got &&
	echo dev@example.com >expect &&
	test_cmp expect got &&
	sql -c "SELECT position, patch_id FROM bundle_patch ORDER BY patch_id" >got &&
	printf "2|11\n2|13\n" >expect &&
	test_cmp expect got
'

test_expect_success 'users: profiles merged, hashes and tokens verbatim' '
	sql -c "SELECT id, username, is_admin, is_staff, is_active, send_email, items_per_page, show_ids FROM auth_user ORDER BY id" >got &&
	cat >expect <<-\EOF &&
	1|admin|t|t|t|t|250|t
	2|jürgen|f|f|t|f|100|f
	3|ci|f|f|t|f|100|f
	4|gone|f|f|f|f|100|f
	EOF
	test_cmp expect got &&
	dj -c "SELECT id || password FROM auth_user ORDER BY id" >expect &&
	sql -c "SELECT id || password FROM auth_user ORDER BY id" >got &&
	test_cmp expect got &&
	sql -c "SELECT t.key, u.username, u.is_active FROM auth_token t JOIN auth_user u ON u.id = t.user_id ORDER BY 1" >got &&
	cat >expect <<-\EOF &&
	1111111111111111111111111111111111111111|ci|t
	4444444444444444444444444444444444444444|gone|f
	EOF
	test_cmp expect got
'

test_expect_success 'the imported passwords verify' '
	for u in admin jürgen gone
	do
		h=$(sql -c "SELECT password FROM auth_user WHERE username = \$\$$u\$\$") &&
		printf secret | pw-test auth check -n "$h" >/dev/null ||
		{ echo "$u: no match"; return 1; }
	done &&
	h=$(sql -c "SELECT password FROM auth_user WHERE username = \$\$ci\$\$") &&
	! printf secret | pw-test auth check -n "$h" >/dev/null
'

test_expect_success 'every identity continues past the imported ids' '
	sql -c "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND a.attname = \$\$id\$\$ AND a.attidentity IN (\$\$a\$\$, \$\$d\$\$) ORDER BY 1" >tables &&
	test -s tables &&
	sql -c "SELECT c.relname || \$\$|\$\$ || (nextval(pg_get_serial_sequence(c.relname::text, \$\$id\$\$)) > (xpath(\$\$/row/m/text()\$\$, query_to_xml(format(\$\$SELECT coalesce(max(id), 0) AS m FROM %I\$\$, c.relname), false, true, \$\$\$\$)))[1]::text::bigint) FROM pg_class c WHERE c.relname IN (SELECT * FROM unnest(string_to_array(\$\$$(tr "\n" " " <tables)\$\$, \$\$ \$\$))) ORDER BY c.relname" >got &&
	sed "s/\$/|true/" tables >expect &&
	test_cmp expect got &&
	sql -c "INSERT INTO person (email) VALUES (\$\$new@example.org\$\$) RETURNING id > 4" >got &&
	echo t >expect &&
	test_cmp expect got
'

test_expect_success 'a database holding data is refused, and left alone' '
	sql -c "SELECT count(*) FROM patch" >before &&
	test_expect_code 65 pw db import data.sql 2>err &&
	test_grep "already holds data" err &&
	sql -c "SELECT count(*) FROM patch" >after &&
	test_cmp before after
'

test_expect_success '--replace empties it and imports again' '
	pw db import --replace -q data.sql &&
	sql -c "SELECT count(*) FROM person" >got &&
	echo 4 >expect &&
	test_cmp expect got
'

test_expect_success 'psql -1 loads the same file to the same data' '
	target viapsql &&
	psql -X -q -1 -v ON_ERROR_STOP=1 -d viapsql -f data.sql >/dev/null &&
	target viapw &&
	import_into viapw -q data.sql &&
	"$PG_BINDIR/pg_dump" -h "$PGHOST" -U postgres --data-only --exclude-table=schema_migrations viapsql | grep -v "^.restrict\|^.unrestrict" >a &&
	"$PG_BINDIR/pg_dump" -h "$PGHOST" -U postgres --data-only --exclude-table=schema_migrations viapw | grep -v "^.restrict\|^.unrestrict" >b &&
	test_cmp a b
'

test_expect_success 'psql without -1 is refused by the file itself' '
	test_must_fail() { ! "$@"; } &&
	test_must_fail psql -X -q -v ON_ERROR_STOP=1 -d scratch -f data.sql >out 2>err &&
	test_grep "load this file in one transaction" err &&
	still_empty
'

test_expect_success 'an import failing half way leaves the target unchanged' '
	sed "/^COPY bundle_patch /{n;s/^1\t11\t/1\t999\t/;}" data.sql >bad.sql &&
	! cmp -s data.sql bad.sql &&
	test_expect_code 65 import_into scratch bad.sql 2>err &&
	test_grep "rolled back" err &&
	still_empty
'

test_expect_success 'a truncated file is refused' '
	head -n 120 data.sql >short.sql &&
	test_expect_code 65 import_into scratch short.sql 2>err &&
	test_grep "truncated" err &&
	still_empty
'

test_expect_success 'another format or schema version is refused' '
	sed "s/^-- format: 1$/-- format: 2/" data.sql >f2.sql &&
	test_expect_code 65 import_into scratch f2.sql 2>err &&
	test_grep "export format 2; this pw reads format 1" err &&
	sed "s/^-- schema: [0-9]*$/-- schema: 999/" data.sql >s999.sql &&
	test_expect_code 65 import_into scratch s999.sql 2>err &&
	test_grep "schema version 999" err &&
	still_empty
'

test_expect_success 'statements export does not write are never run' '
	sed "s/^ANALYZE;$/DROP TABLE patch;/" data.sql >evil.sql &&
	test_expect_code 65 import_into scratch evil.sql 2>err &&
	test_grep "did not write; refusing" err &&
	still_empty
'

test_expect_success 'a role that does not own the tables imports the slow way' '
	target notowner &&
	psql -X -q -d notowner -v ON_ERROR_STOP=1 -c "CREATE ROLE loader LOGIN" \
		-c "GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA public TO loader" \
		-c "GRANT USAGE, UPDATE, SELECT ON ALL SEQUENCES IN SCHEMA public TO loader" &&
	test_when_finished "psql -X -q -d notowner -c \"DROP OWNED BY loader\"; psql -X -q -d notowner -c \"DROP ROLE loader\"" &&
	PW_DATABASE_URL="host=$PGHOST user=loader dbname=notowner" pw db import -q data.sql 2>err &&
	test_grep "not the owner of the tables" err &&
	psql -X -A -t -d notowner -c "SELECT count(*) FROM patch" >got &&
	echo 4 >expect &&
	test_cmp expect got
'

test_expect_success 'import reads stdin' '
	pw db import --replace -q <data.sql &&
	sql -c "SELECT count(*) FROM event" >got &&
	echo 4 >expect &&
	test_cmp expect got
'

test_expect_success 'the session defaults of the server do not matter' '
	PGOPTIONS="-c TimeZone=Asia/Tokyo -c DateStyle=SQL,DMY -c IntervalStyle=sql_standard" \
		pw db export --from "$(url django)" -q >tokyo.sql &&
	grep -v "^-- created:" data.sql >a &&
	grep -v "^-- created:" tokyo.sql >b &&
	test_cmp a b
'

test_expect_success 'import shows its progress when asked' '
	pw db import --replace --progress -q data.sql 2>err &&
	test_grep "importing patch: 4 of 4 rows" err
'

test_expect_success 'a 20 MB diff goes through, memory bounded by the row' '
	dj -c "INSERT INTO patchwork_patch VALUES (15, \$\$<big@example.org>\$\$, \$\$[PATCH] big\$\$, \$\$2021-09-01 08:00:00\$\$, \$\$Date: Wed, 01 Sep 2021 08:00:00 +0000\$\$, NULL, 1, 3, false, NULL, NULL, repeat(\$\$+ a line of a very large patch\$\$ || chr(9) || chr(92) || chr(10), 700000), NULL, NULL, NULL, NULL, NULL, 1)" &&
	test_when_finished "dj -c \"DELETE FROM patchwork_patch WHERE id = 15\"" &&
	if command -v /usr/bin/time >/dev/null
	then
		/usr/bin/time -f %M -o rss pw db export --from "$(url django)" -q >big.sql &&
		test "$(tail -n 1 rss)" -lt 150000
	else
		pw db export --from "$(url django)" -q >big.sql
	fi &&
	pw db import --replace -q big.sql &&
	dj -c "SELECT md5(diff), length(diff) FROM patchwork_patch WHERE id = 15" >expect &&
	sql -c "SELECT md5(diff), length(diff) FROM patch WHERE id = 15" >got &&
	test_cmp expect got &&
	test "$(cut -d"|" -f2 got)" -gt 20000000
'

test_expect_success 'the wrong --time-zone is spotted from the Date: headers' '
	pw db export --from "$(url django)" --time-zone UTC >utc.sql 2>err &&
	test_grep "time-zone UTC looks wrong: only 0 of 7 sampled mails agree" err &&
	test_grep "against 7 for Australia/Canberra, " err &&
	test_grep "^-- time-zone: UTC$" utc.sql
'

test_expect_success 'an unknown time zone is refused' '
	test_expect_code 65 pw db export --from "$(url django)" --time-zone Mars/Olympus >/dev/null 2>err &&
	test_grep "not a time zone name" err
'

test_expect_success 'a database that is not Patchwork is refused' '
	test_expect_code 65 pw db export --from "$(url synced)" >/dev/null 2>err &&
	test_grep "not a Django Patchwork database" err
'

test_expect_success 'a database before 0042 is refused' '
	dj -c "ALTER TABLE patchwork_cover RENAME TO hidden" &&
	test_when_finished "dj -c \"ALTER TABLE hidden RENAME TO patchwork_cover\"" &&
	test_expect_code 65 pw db export --from "$(url django)" >/dev/null 2>err &&
	test_grep "older than Patchwork migration 0042" err
'

test_expect_success 'a half-applied 0043 is refused' '
	dj -c "ALTER TABLE patchwork_patch ADD COLUMN archived2 boolean" &&
	test_when_finished "dj -c \"ALTER TABLE patchwork_patch DROP COLUMN archived2\"" &&
	test_expect_code 65 pw db export --from "$(url django)" >/dev/null 2>err &&
	test_grep "in the middle of migration 0043" err
'

test_expect_success 'an unreachable database exits 75' '
	test_expect_code 75 pw db export --from "host=$TRASH/nowhere dbname=x" >/dev/null 2>err
'

test_expect_success 'SQL_ASCII text that is not UTF-8 is read as Windows-1252' '
	newdb -E SQL_ASCII -T template0 --locale=C ascii &&
	psql -X -q -v ON_ERROR_STOP=1 -d ascii -f "$SRC_DIR/t/data/django/0046-small.sql" >/dev/null &&
	printf "UPDATE patchwork_person SET name = %s WHERE id = 2;\n" "$(printf "\047Ren\351 \200\047")" |
		psql -X -q -v ON_ERROR_STOP=1 -d ascii &&
	pw db export --from "$(url ascii)" >ascii.sql 2>err &&
	test_grep "person 2: invalid UTF-8 read as Windows-1252" err &&
	import_into scratch -q ascii.sql &&
	psql -X -A -t -d scratch -c "SELECT name FROM person WHERE id = 2" >got &&
	echo "René €" >expect &&
	test_cmp expect got
'

# After sql/0003-search.sql (full-text vectors filled by pw cron): an
# import with --replace must not leave the indexer's watermark where the
# replaced data had it, or the imported rows below it would never get
# their vectors.
if pw cron --list >/dev/null 2>&1; then
	test_expect_success 'import --replace: pw cron indexes every imported row again' '
		target idx &&
		import_into idx -q data.sql &&
		PW_DATABASE_URL=$(url idx) pw cron --all --task search &&
		psql -X -A -t -d idx -c "SELECT (SELECT count(*) FROM patch_search) || \$\$ \$\$ || (SELECT count(*) FROM cover_search)" >got &&
		echo "4 2" >expect &&
		test_cmp expect got &&
		psql -X -q -d idx -c "UPDATE search_state SET done_id = 1000" &&
		import_into idx -q --replace data.sql &&
		PW_DATABASE_URL=$(url idx) pw cron --all --task search &&
		psql -X -A -t -d idx -c "SELECT (SELECT count(*) FROM patch_search) || \$\$ \$\$ || (SELECT count(*) FROM cover_search)" >got &&
		test_cmp expect got
	'
else
	test_skip "import --replace and the search indexer" "no pw cron"
fi

# Logging in through the REST API after the migration: a copy of the
# fixture with users of every hash family Django may have left, exported,
# imported into a fresh database, served by nginx and the pw.fcgi pool.
if ! command -v nginx >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1
then
	test_skip "REST logins after the migration" "needs nginx and curl"
	test_done
fi

newdb djauth &&
psql -X -q -v ON_ERROR_STOP=1 -d djauth -f "$SRC_DIR/t/data/django/0046-small.sql" >/dev/null &&
psql -X -q -v ON_ERROR_STOP=1 -d djauth >/dev/null <<-\EOF || exit 1
INSERT INTO auth_user (id, password, is_superuser, username, first_name,
	last_name, email, is_staff, is_active, date_joined) VALUES
(5, 'md5$abc$33e7cb694fb6fb2f848af6774d9ff138', false, 'carol', '', '',
	'carol@example.org', false, true, '2020-05-01 10:00:00'),
(6, 'sha1$abc$de0a408ef519cd62e7379039634152874895c50c', false, 'dave',
	'', '', 'dave@example.org', false, true, '2020-05-01 10:00:00'),
(7, '5ebe2294ecd0e0f08eab7690d2a6ee69', false, 'eve', '', '',
	'eve@example.org', false, true, '2020-05-01 10:00:00'),
(8, 'md5$abc$33e7cb694fb6fb2f848af6774d9ff138', false, 'mallory', '', '',
	'mallory@example.org', false, false, '2020-05-01 10:00:00');
SELECT setval('auth_user_id_seq', 8);
EOF
target rest || exit 1
PW_DATABASE_URL=$(url rest) PGDATABASE=rest
export PW_DATABASE_URL PGDATABASE

test_expect_success 'REST: export and import the users' '
	pw db export --from "$(url djauth)" -q -o auth.sql &&
	pw db import -q auth.sql &&
	sql -c "SELECT id || \$\$ \$\$ || password FROM auth_user ORDER BY id" >hashes.before &&
	test $(wc -l <hashes.before) = 8
'

test_start_http 1

test_expect_success 'REST: tokens authenticate; the inactive user'"'"'s is refused' '
	test "$(token 1111111111111111111111111111111111111111 3)" = 200 &&
	logs_in 3 &&
	test "$(token 4444444444444444444444444444444444444444 4)" = 403 &&
	detail "User inactive or deleted." &&
	test "$(anonymous 3)" = 403 &&
	detail "Authentication credentials were not provided."
'

test_expect_success 'REST: passwords log in by HTTP Basic, old hashes are re-hashed' '
	test "$(basic admin secret 1)" = 200 &&
	logs_in 1 &&
	rehashed 1 secret &&
	test "$(basic jürgen secret 2)" = 200 &&
	logs_in 2 &&
	rehashed 2 secret &&
	test "$(basic jürgen secret 2)" = 200 &&
	logs_in 2
'

test_expect_success 'REST: refused, hash untouched: wrong, unusable, legacy, inactive' '
	refused admin wrong 1 &&
	refused admin "" 1 &&
	refused ci secret 3 &&
	refused gone secret 4 &&
	refused carol secret 5 &&
	refused dave secret 6 &&
	refused eve secret 7 &&
	refused mallory secret 8
'

test_expect_success 'REST: a password change counts at once, despite the cache' '
	test "$(basic admin secret 1)" = 200 &&
	printf other | pw admin user passwd admin --password-stdin &&
	test "$(basic admin secret 1)" = 403 &&
	detail "Invalid username/password." &&
	test "$(basic admin other 1)" = 200 &&
	rehashed 1 other
'

test_stop_http

test_expect_success 'config: http.allow_md5_passwords is a boolean, false by default' '
	pw config default >default.conf &&
	test_grep "^	allow_md5_passwords = false$" default.conf &&
	printf "http {\n\tallow_md5_passwords = maybe\n}\n" >bad.conf &&
	test_expect_code 78 pw config -n -c bad.conf 2>err &&
	test_grep "^bad.conf:2: " err &&
	printf "http {\n\tallow_md5_passwords = true\n}\n" >md5.conf &&
	pw config -n -c md5.conf
'

PW_CONFIG=$TRASH/md5.conf
export PW_CONFIG
test_start_http 1

test_expect_success 'REST: with http.allow_md5_passwords, md5 logs in once and is re-hashed' '
	refused carol wrong 5 &&
	test "$(basic carol secret 5)" = 200 &&
	logs_in 5 &&
	rehashed 5 secret &&
	test "$(basic carol secret 5)" = 200 &&
	refused mallory secret 8 &&
	refused dave secret 6 &&
	refused eve secret 7
'

test_expect_success 'REST: a fresh pool (empty cache) verifies the new hashes' '
	test "$(basic jürgen secret 2)" = 200 &&
	logs_in 2 &&
	test "$(basic admin other 1)" = 200 &&
	refused admin secret 1
'

test_expect_success 'REST: only the users who logged in got new hashes' '
	sql -c "SELECT id || \$\$ \$\$ || password FROM auth_user ORDER BY id" >now &&
	LC_ALL=C sort hashes.before now | uniq -u | cut -d" " -f1 | uniq -d >changed &&
	printf "%s\n" 1 2 5 >expect &&
	test_cmp expect changed
'

test_done
