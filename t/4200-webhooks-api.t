#!/bin/sh
# Webhooks through the API (1.4 and unversioned, REST spec 13.4): who may
# do what, the validation bodies, a secret that never comes back, and
# create / list / show / update / delete.  Delivery: t/4201.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup
# Webhook 1 belongs to project 2 ("other", maintained by deleg).
sql -c "INSERT INTO webhook (id, project_id, url, secret)
	VALUES (1, 2, 'https://ci.example.org/other', 'x');
	SELECT setval(pg_get_serial_sequence('webhook', 'id'), 100)" >/dev/null

H=/api/1.4/projects/1/webhooks

webhooks() {
	sql -c "SELECT id, project_id, url, secret, array_to_string(events, ','),
		active FROM webhook ORDER BY id"
}

test_expect_success 'anonymous, users, other maintainers, admins: 403' '
	webhooks >before &&
	for who in "" "Token $TOK_USER" "Token $TOK_DELEG" "Token $TOK_ADMIN"; do
		for req in "GET $H/" "POST $H/" "GET $H/1/" "PATCH $H/1/" \
		    "DELETE $H/1/" "GET /api/projects/net/webhooks/"; do
			set -- $req &&
			AUTH=$who apij $1 $2 "{\"url\":\"https://x.example.org/\"}" &&
			test_expect_status 403 || return 1
			if [ -z "$who" ]; then
				grep -qx "{\"detail\":\"Authentication credentials were not provided.\"}" body
			else
				grep -qx "{\"detail\":\"You do not have permission to perform this action.\"}" body
			fi || return 1
		done
	done &&
	webhooks >after &&
	test_cmp before after
'

test_expect_success 'only from 1.4; no such project is a 404' '
	AUTH="Token $TOK_MAINT" api GET /api/1.3/projects/1/webhooks/ &&
	test_expect_status 404 &&
	AUTH="Token $TOK_MAINT" api GET /api/projects/99/webhooks/ &&
	test_expect_status 404 &&
	printf "{\"detail\":\"No Project matches the given query.\"}" >expect &&
	test_cmp expect body &&
	AUTH="Token $TOK_MAINT" api GET /api/projects/nope/webhooks/ &&
	test_expect_status 404
'

test_expect_success 'a webhook of another project is a 404, and stays' '
	webhooks >before &&
	for m in GET PATCH DELETE; do
		AUTH="Token $TOK_MAINT" apij $m $H/1/ "{\"active\":false}" &&
		test_expect_status 404 &&
		printf "{\"detail\":\"No Webhook matches the given query.\"}" >expect &&
		test_cmp expect body || return 1
	done &&
	webhooks >after &&
	test_cmp before after &&
	AUTH="Token $TOK_DELEG" api GET /api/projects/other/webhooks/1/ &&
	test_expect_status 200
'

test_expect_success 'create: defaults, 201 and Location, no secret shown' '
	AUTH="Token $TOK_MAINT" apij POST $H/ \
		"{\"url\":\"https://ci.example.org/hook\",\"secret\":\"s3cret\"}" &&
	test_expect_status 201 &&
	id=$(json_get id) &&
	test "$(http_header Location)" = "http://testserver/api/1.4/projects/1/webhooks/$id/" &&
	created=$(sql -c "SELECT to_char(created AT TIME ZONE '"'"'UTC'"'"',
		'"'"'YYYY-MM-DD\"T\"HH24:MI:SS.US'"'"') FROM webhook WHERE id = $id") &&
	printf "{\"id\":%s,\"url\":\"https://ci.example.org/hook\",\"events\":\"*\",\"active\":true,\"created\":\"%s\"}" \
		"$id" "$created" >expect &&
	test_cmp expect body &&
	test "$(sql -c "SELECT secret || created_by FROM webhook WHERE id = $id")" = s3cret1 &&
	AUTH="Token $TOK_MAINT" apif POST /api/projects/net/webhooks/ \
		"url=http://127.0.0.1:8000/x&events=patch-created,%20check-created&active=false" &&
	test_expect_status 201 &&
	test "$(json_get events)" = "patch-created,check-created" &&
	test "$(json_get active)" = false &&
	test "$(sql -c "SELECT secret FROM webhook WHERE id = $(json_get id)")" = "" &&
	! grep -q secret body
'

test_expect_success 'validation: the 400 bodies, nothing stored' '
	webhooks >before &&
	check() {
		AUTH="Token $TOK_MAINT" apij POST $H/ "$1" &&
		test_expect_status 400 &&
		printf "%s" "$2" >expect &&
		test_cmp expect body
	} &&
	check "{}" "{\"url\":[\"This field is required.\"]}" &&
	check "{\"url\":\"not a url\"}" "{\"url\":[\"Enter a valid URL.\"]}" &&
	check "{\"url\":\"ftp://ci.example.org/\"}" "{\"url\":[\"Enter a valid URL.\"]}" &&
	check "{\"url\":\"https://ci.example.org/hook\"}" \
		"{\"url\":[\"A webhook with this url already exists for this project.\"]}" &&
	check "{\"url\":\"https://b.example.org/\",\"events\":\"foo\"}" \
		"{\"events\":[\"Invalid event category: \\\"foo\\\"\"]}" &&
	check "{\"url\":\"https://b.example.org/\",\"events\":\"patch-created,bar\"}" \
		"{\"events\":[\"Invalid event category: \\\"bar\\\"\"]}" &&
	check "{\"url\":\"https://b.example.org/\",\"events\":\"\"}" \
		"{\"events\":[\"This field may not be blank.\"]}" &&
	check "{\"url\":\"https://b.example.org/\",\"events\":[\"patch-created\"]}" \
		"{\"events\":[\"Not a valid string.\"]}" &&
	check "{\"url\":\"https://b.example.org/\",\"active\":\"maybe\"}" \
		"{\"active\":[\"Must be a valid boolean.\"]}" &&
	check "{\"url\":\"https://b.example.org/\",\"secret\":null}" \
		"{\"secret\":[\"This field may not be null.\"]}" &&
	AUTH="Token $TOK_MAINT" apij POST $H/ "{\"url\":" &&
	test_expect_status 400 &&
	webhooks >after &&
	test_cmp before after
'

test_expect_success 'every category of events (check-updated too) is accepted' '
	cats=$(sql -c "SELECT string_agg(c, '"'"','"'"') FROM unnest(ARRAY[
		'"'"'cover-created'"'"', '"'"'patch-created'"'"',
		'"'"'patch-completed'"'"', '"'"'patch-state-changed'"'"',
		'"'"'patch-delegated'"'"', '"'"'patch-relation-changed'"'"',
		'"'"'check-created'"'"', '"'"'check-updated'"'"',
		'"'"'series-created'"'"', '"'"'series-completed'"'"',
		'"'"'cover-comment-created'"'"',
		'"'"'patch-comment-created'"'"']) c") &&
	AUTH="Token $TOK_MAINT" apij POST $H/ \
		"{\"url\":\"https://all.example.org/\",\"events\":\"$cats\"}" &&
	test_expect_status 201 &&
	test "$(json_get events)" = "$cats" &&
	id=$(json_get id) &&
	AUTH="Token $TOK_MAINT" apij PATCH $H/$id/ \
		"{\"events\":\" check-created , patch-created,check-created\"}" &&
	test "$(json_get events)" = check-created,patch-created &&
	AUTH="Token $TOK_MAINT" apij PATCH $H/$id/ "{\"events\":\"patch-created,*\"}" &&
	test "$(json_get events)" = "*" &&
	AUTH="Token $TOK_MAINT" apij DELETE $H/$id/ "" &&
	test_expect_status 204
'

test_expect_success 'list: paginated with Link, oldest first, by link name too' '
	AUTH="Token $TOK_MAINT" api GET "$H/?per_page=1" &&
	test_expect_status 200 &&
	test "$(json_get 0.url)" = https://ci.example.org/hook &&
	http_header Link | grep -q "<http://testserver$H/?page=2&per_page=1>; rel=\"next\"" &&
	AUTH="Token $TOK_MAINT" api GET /api/projects/net/webhooks/ &&
	test "$(python3 -c "import json; print([w[\"url\"] for w in json.load(open(\"body\"))])")" = \
		"[$(printf "%s" "'"'"'https://ci.example.org/hook'"'"', '"'"'http://127.0.0.1:8000/x'"'"'")]" &&
	! grep -q secret body &&
	AUTH="Token $TOK_MAINT" api GET "$H/?order=-id" &&
	test "$(json_get 0.url)" = http://127.0.0.1:8000/x
'

test_expect_success 'list: statements independent of the page size' '
	for n in 1 2 3 4 5; do
		AUTH="Token $TOK_MAINT" apij POST $H/ "{\"url\":\"https://q$n.example.org/\"}" &&
		test_expect_status 201 || return 1
	done &&
	AUTH="Token $TOK_MAINT" PW_DEBUG_QUERIES=1 api GET "$H/?per_page=1" &&
	q1=$(http_header X-Pw-Queries) &&
	AUTH="Token $TOK_MAINT" PW_DEBUG_QUERIES=1 api GET "$H/?per_page=6" &&
	q6=$(http_header X-Pw-Queries) &&
	test "$(python3 -c "import json; print(len(json.load(open(\"body\"))))")" = 6 &&
	test "$q1" = "$q6" && test "$q1" -le 6 &&
	sql -c "DELETE FROM webhook WHERE url LIKE \$\$https://q_.example.org/\$\$" >/dev/null
'

test_expect_success 'update: any subset; secret written, never shown' '
	id=$(sql -c "SELECT id FROM webhook WHERE url = '"'"'https://ci.example.org/hook'"'"'") &&
	AUTH="Token $TOK_MAINT" apij PATCH $H/$id/ "{\"events\":\"patch-state-changed\"}" &&
	test_expect_status 200 &&
	test "$(json_get events)" = patch-state-changed &&
	test "$(json_get url)" = https://ci.example.org/hook &&
	test "$(json_get active)" = true &&
	AUTH="Token $TOK_MAINT" apif PATCH /api/projects/net/webhooks/$id/ "active=false&secret=new" &&
	test_expect_status 200 &&
	test "$(json_get active)" = false &&
	! grep -q secret body &&
	test "$(sql -c "SELECT secret FROM webhook WHERE id = $id")" = new &&
	AUTH="Token $TOK_MAINT" apij PATCH $H/$id/ "{\"url\":\"http://127.0.0.1:8000/x\"}" &&
	test_expect_status 400 &&
	AUTH="Token $TOK_MAINT" apij PUT $H/$id/ "{\"url\":\"https://y.example.org/\"}" &&
	test_expect_status 405 &&
	test "$(sql -c "SELECT url FROM webhook WHERE id = $id")" = https://ci.example.org/hook
'

# A session of maint, as the web login writes it (see t/4100).
COOKIE=$(printf c1 | sha256sum | cut -c1-64)
CSRF=$(printf csrf1 | sha256sum | cut -c1-64)
KEY=$(printf %s "$COOKIE" | sha256sum | cut -c1-64)

test_expect_success 'a browser session: writes need the CSRF token' '
	sql -c "INSERT INTO session (key, user_id, csrf_token, expires)
		VALUES (\$\$$KEY\$\$, 1, \$\$$CSRF\$\$, now() + interval \$\$1 day\$\$)" &&
	api GET $H/ HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 200 &&
	apij POST $H/ "{\"url\":\"https://s.example.org/\"}" \
		HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 403 &&
	grep -q "CSRF Failed: CSRF token missing." body &&
	test "$(sql -c "SELECT count(*) FROM webhook WHERE url = \$\$https://s.example.org/\$\$")" = 0 &&
	apij POST $H/ "{\"url\":\"https://s.example.org/\"}" \
		HTTP_COOKIE="sessionid=$COOKIE" HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 201 &&
	id=$(json_get id) &&
	api DELETE $H/$id/ HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 403 &&
	api DELETE $H/$id/ HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 204
'

test_expect_success 'delete: 204, then gone' '
	id=$(sql -c "SELECT id FROM webhook WHERE url = '"'"'https://ci.example.org/hook'"'"'") &&
	AUTH="Token $TOK_MAINT" api DELETE /api/projects/net/webhooks/$id/ &&
	test_expect_status 204 &&
	test_must_be_empty body &&
	AUTH="Token $TOK_MAINT" api GET $H/$id/ &&
	test_expect_status 404 &&
	test "$(sql -c "SELECT count(*) FROM webhook WHERE id = $id")" = 0
'

test_done
