#!/bin/sh
# The bad-input matrix: malformed JSON, wrong types, unknown fields,
# bodies over the limit, bytes that are not UTF-8, SQL- and HTML-looking
# strings, against every write (and junk in read filters).  Each answer
# is a 4xx with a Django-shaped JSON body, or a 2xx that stored the text
# as given; never a 5xx; a refused request changes no row.  The matrices
# run through nginx and the pool, from one process (t/apiw-walk.py).
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

test_pick_port
APIW_MAX_BODY=4096
APIW_BASE_URL=$HTTP_URL
apiw_setup
sql -c "INSERT INTO ci_check (id, patch_id, user_id, state, context)
	VALUES (1, 1, 1, 0, 'ci');
	INSERT INTO bundle (id, owner_id, project_id, name, public)
	VALUES (1, 1, 1, 'b', true);
	INSERT INTO bundle_patch VALUES (1, 1, 1);
	SELECT setval(pg_get_serial_sequence('ci_check', 'id'), 100);
	SELECT setval(pg_get_serial_sequence('bundle', 'id'), 100)" >/dev/null
AUTH="Token $TOK_MAINT"
export AUTH
test_start_http 2

walk() {
	python3 "$T_DIR/apiw-walk.py" "$HTTP_URL"
}

# Every table a write may touch, as one checksum.
snapshot() {
	sql -c "SELECT md5(concat_ws('|',
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM patch t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM ci_check t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM bundle t),
		(SELECT string_agg(t::text, ',' ORDER BY bundle_id, patch_id) FROM bundle_patch t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM auth_user t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM project t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM series t),
		(SELECT string_agg(t::text, ',' ORDER BY series_id, key) FROM series_metadata t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM patch_comment t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM cover_comment t),
		(SELECT string_agg(t::text, ',' ORDER BY id) FROM patch_relation t),
		(SELECT count(*) FROM event), (SELECT count(*) FROM patch_change_notification)))"
}

# Each write and the fields it reads.
WRITES="PATCH /api/patches/1/ state delegate archived commit_ref related
PUT /api/patches/1/ state delegate pull_url
POST /api/patches/1/checks/ state target_url context description
PATCH /api/1.4/patches/1/checks/1/ state target_url description
PATCH /api/1.3/patches/2/comments/1/ addressed
PATCH /api/1.3/covers/1/comments/1/ addressed
PATCH /api/series/1/ version metadata
PATCH /api/projects/1/ web_url show_dependencies
PUT /api/users/1/ first_name last_name settings
POST /api/bundles/ name patches public
PATCH /api/bundles/1/ name patches public"

# Bodies no write may accept (as JSON), one a line.
cat >bad-json <<\EOF
{
{"state":}
[1,2
nul
{"state":"new"}x
{"state":"new"},{}
[]
[{"state":"new"}]
"state"
42
null
{"state":NaN}
{"state":-Infinity}
{'state':'new'}
{"state":"new",}
{"state":"new"}\x00
\xff\xfe{"state":"new"}
{"state":"\xc3\x28"}
{"commit_ref":"\ud800"}
{"name":"a\udc00b","state":"new"}
{"x":"\ud83d\u0041"}
{"x":["\ud83d\ude00","\udbff"]}
{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
EOF

# A lone half of a surrogate pair after an escaped backslash; a pair.
cat >lone <<\EOF
{"commit_ref":"a\\u\ud800"}
{"x":"\\","commit_ref":"\udc01"}
{"commit_ref":"\ud83d\ude00"}
EOF

test_expect_success 'a lone surrogate: 400 naming it; a pair is a character' '
	while IFS= read -r body; do
		printf "PATCH\t/api/patches/1/\t%s\tapplication/json\t%s\n" \
			"$AUTH" "$body"
	done <lone | walk >out &&
	python3 -c "
import json
r = [l.rstrip(\"\\n\").split(\"\\t\") for l in open(\"out\")]
assert [x[0] for x in r] == [\"400\", \"400\", \"200\"], r
d = [json.loads(json.loads(x[4])) for x in r]
assert d[0] == {\"detail\": \"JSON parse error - lone surrogate \\\\ud800 at offset 19\"}, d[0]
assert d[1] == {\"detail\": \"JSON parse error - lone surrogate \\\\udc01 at offset 24\"}, d[1]
assert d[2][\"commit_ref\"] == \"\\U0001f600\", d[2]
"
'

# Values of the wrong type for most fields.
VALUES='[] {} 1.5 true "\u0000" [[1]] -1 99999999999999999999999 "x" null'

test_expect_success 'malformed JSON: 400 with a detail, nothing changes' '
	before=$(snapshot) &&
	echo "$WRITES" | while read -r method path fields; do
		while IFS= read -r body; do
			printf "%s\t%s\t%s\tapplication/json\t%s\n" \
				"$method" "$path" "$AUTH" "$body"
		done <bad-json
	done | walk >out &&
	test "$(wc -l <out)" = 253 &&
	! grep -v "^400	" out &&
	test "$(snapshot)" = "$before" &&
	python3 -c "
import json, sys
for line in open(\"out\"):
    f = line.rstrip(\"\\n\").split(\"\\t\")
    v = json.loads(json.loads(f[4]))
    d = v.get(\"detail\")
    assert (isinstance(d, str) and d.startswith(\"JSON parse error - \")) or \
        (isinstance(d, list) and len(v) == 1 and all(isinstance(m, str) for m in d)), line
"
'

test_expect_success 'wrong types in every field: 4xx with field errors, or ignored' '
	before=$(snapshot) &&
	echo "$WRITES" | while read -r method path fields; do
		for f in $fields; do
			for v in $VALUES; do
				printf "%s\t%s\t%s\tapplication/json\t{\"%s\":%s}\n" \
					"$method" "$path" "$AUTH" "$f" "$v"
			done
		done
	done | walk >out &&
	! grep "^5" out &&
	grep -c "^4" out >n4 && test "$(cat n4)" -gt 200 &&
	python3 -c "
import json
for line in open(\"out\"):
    f = line.rstrip(\"\\n\").split(\"\\t\")
    if not f[0].startswith(\"4\"):
        continue
    v = json.loads(json.loads(f[4]))
    assert isinstance(v, dict) and v, line
    for k, m in v.items():
        assert isinstance(m, (list, dict, str)), line
" &&
	grep "^400	PATCH	/api/patches/1/	{\"archived\":\[\]}" out &&
	grep "^400	PATCH	/api/patches/1/	{\"state\":{}}" out &&
	grep "^400	POST	/api/patches/1/checks/	{\"target_url\":1.5}" out &&
	grep -F "400	PATCH	/api/patches/1/	{\"commit_ref\":\"\\u0000\"}" out &&
	grep "^400	PATCH	/api/1.3/patches/2/comments/1/	{\"addressed\":\"x\"}" out &&
	grep "^400	PATCH	/api/series/1/	{\"version\":-1}" out &&
	grep "^400	PATCH	/api/bundles/1/	{\"patches\":\[\[1\]\]}" out &&
	grep "^400	PUT	/api/users/1/	{\"settings\":-1}" out
'

test_expect_success 'unknown fields are ignored' '
	before=$(snapshot) &&
	echo "$WRITES" | while read -r method path fields; do
		printf "%s\t%s\t%s\tapplication/json\t{\"bogus\":[1],\"id\":99,\"url\":\"x\"}\n" \
			"$method" "$path" "$AUTH"
	done | walk >out &&
	cut -f1-3 out >actual &&
	cat >expect <<-\EOF &&
	200	PATCH	/api/patches/1/
	400	PUT	/api/patches/1/
	400	POST	/api/patches/1/checks/
	400	PATCH	/api/1.4/patches/1/checks/1/
	200	PATCH	/api/1.3/patches/2/comments/1/
	200	PATCH	/api/1.3/covers/1/comments/1/
	200	PATCH	/api/series/1/
	200	PATCH	/api/projects/1/
	400	PUT	/api/users/1/
	400	POST	/api/bundles/
	200	PATCH	/api/bundles/1/
	EOF
	test_cmp expect actual &&
	test "$(snapshot)" = "$before"
'

test_expect_success 'bodies over the limit are 413, before any parsing' '
	before=$(snapshot) &&
	big=$(head -c 5000 /dev/zero | tr "\\0" x) &&
	apij PATCH /api/patches/1/ "{\"commit_ref\":\"$big\"}" &&
	test_expect_status 413 &&
	test "$(json_get detail)" = "Request body too large." &&
	apif POST /api/patches/1/checks/ "state=success&description=$big" &&
	test_expect_status 413 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X PATCH \
		-H "Authorization: $AUTH" -H "Content-Type: application/json" \
		--data-binary "{\"commit_ref\":\"$big\"}" "$HTTP_URL/api/patches/1/")" = 413 &&
	test "$(snapshot)" = "$before"
'

test_expect_success 'bytes that are not UTF-8: a JSON error, a replaced form byte' '
	before=$(snapshot) &&
	apif PATCH /api/patches/1/ "state=%FF%FE" &&
	test_expect_status 400 &&
	test "$(snapshot)" = "$before" &&
	apif PATCH /api/patches/1/ "commit_ref=a%FFb" &&
	test_expect_status 200 &&
	test "$(json_get commit_ref)" = "a�b"
'

INJECT="'\''; DROP TABLE patch; --
<script>alert(1)</script>
\" OR 1=1 --
%00%27
\$\$; DELETE FROM bundle; \$\$
../../etc/passwd"

test_expect_success 'SQL- and HTML-looking strings are data' '
	echo "$INJECT" | while IFS= read -r s; do
		j=$(printf "%s" "$s" | python3 -c "import json,sys; print(json.dumps(sys.stdin.read()))") &&
		for b in "{\"commit_ref\":$j,\"pull_url\":$j}" "{\"state\":$j}" \
			"{\"delegate\":$j}" "{\"related\":[$j]}"; do
			printf "PATCH\t/api/patches/1/\t%s\tapplication/json\t%s\n" "$AUTH" "$b"
		done &&
		for b in "{\"state\":\"success\",\"description\":$j}" \
			"{\"state\":\"success\",\"context\":$j}" \
			"{\"state\":$j}" "{\"state\":\"success\",\"target_url\":$j}"; do
			printf "POST\t/api/patches/1/checks/\t%s\tapplication/json\t%s\n" "$AUTH" "$b"
		done &&
		printf "PATCH\t/api/series/1/\t%s\tapplication/json\t{\"metadata\":{%s:%s}}\n" \
			"$AUTH" "$j" "$j" &&
		printf "PATCH\t/api/bundles/1/\t%s\tapplication/json\t{\"name\":%s}\n" "$AUTH" "$j" &&
		printf "PATCH\t/api/projects/1/\t%s\tapplication/json\t{\"web_url\":%s}\n" "$AUTH" "$j"
	done | walk >out6 &&
	! grep "^5" out6 &&
	test "$(grep -c "^200	PATCH	/api/patches/1/	{\"commit_ref\"" out6)" = 6 &&
	test "$(grep -c "^400	PATCH	/api/patches/1/	{\"state\"" out6)" = 6 &&
	test "$(grep -c "^201	POST	/api/patches/1/checks/	{\"state\":\"success\",\"description\"" out6)" = 6 &&
	test "$(grep -c "^400	POST	/api/patches/1/checks/	{\"state\":\"success\",\"context\"" out6)" = 6 &&
	test "$(grep -c "^200	PATCH	/api/series/1/" out6)" = 6 &&
	test "$(sql -c "SELECT count(*) FROM patch")" = 4 &&
	test "$(sql -c "SELECT count(*) FROM bundle")" = 1 &&
	test "$(sql -c "SELECT web_url FROM project WHERE id = 1")" = ../../etc/passwd &&
	test "$(sql -c "SELECT count(*) FROM ci_check WHERE description LIKE \$\$<script>%\$\$")" = 1
'

test_expect_success 'junk in read filters: a list or a 404, never a 5xx' '
	for q in "project=%27%3B+DROP+TABLE+patch%3B--" "state=%3Cscript%3E" \
		"since=garbage" "before=2024-13-45" "page=999999999999999999999" \
		"page=-1" "per_page=-5" "per_page=99999999999999" "order=%3BDROP" \
		"submitter=%FF" "delegate=%00" "archived=%00" "q=%25%5C_%27" \
		"hash=%27" "msgid=%3C%3E" "series=1e9" "project=%E2%80%AE" \
		"owner=%FF%FE" "category=%FF" "q=%FF"; do
		for r in patches covers series bundles events projects users people \
			patches/1/checks patches/2/comments; do
			printf "GET\t/api/%s/?%s\t%s\t-\t\n" "$r" "$q" "$AUTH"
		done
	done | walk >out &&
	! grep -v "^200	\|^404	" out &&
	grep "^404	GET	/api/patches/?page=-1" out
'

test_done
