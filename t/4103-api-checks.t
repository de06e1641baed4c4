#!/bin/sh
# A CI bot posts checks (REST spec 8) as JSON and as a form, and reads
# the patch's aggregate back (spec 6.6); the 1.4 check update (13.3).
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup
# The bot is a maintainer's account, as CI reporters are.
AUTH="Token $TOK_MAINT"
export AUTH

check_of() {
	api GET "/api/patches/$1/" && json_get check
}

test_expect_success 'no checks: the aggregate is pending' '
	test "$(check_of 1)" = pending
'

test_expect_success 'JSON: 201, Location, the check; "user" is ignored' '
	apij POST /api/1.3/patches/1/checks/ \
		"{\"state\":\"success\",\"context\":\"build-x86_64\",\"target_url\":\"https://ci.example.org/run/7\",\"description\":\" Build passed \",\"user\":5}" &&
	test_expect_status 201 &&
	id=$(json_get id) &&
	test "$(http_header Location)" = "http://testserver/api/1.3/patches/1/checks/$id/" &&
	test "$(json_get url)" = "http://testserver/api/1.3/patches/1/checks/$id/" &&
	test "$(json_get user.username)" = maint &&
	test "$(json_get state)" = success &&
	test "$(json_get context)" = build-x86_64 &&
	test "$(json_get description)" = "Build passed" &&
	test "$(check_of 1)" = success
'

test_expect_success 'form: a later check of another context warns' '
	apif POST /api/patches/1/checks/ \
		"state=warning&context=sparse&target_url=&description=2+warnings" &&
	test_expect_status 201 &&
	test "$(json_get target_url)" = "" &&
	test "$(check_of 1)" = warning
'

test_expect_success 'multipart/form-data, as curl -F sends it; files are ignored' '
	printf -- "--XyZ\r\nContent-Disposition: form-data; name=\"state\"\r\n\r\nwarning\r\n--XyZ\r\nContent-Disposition: form-data; name=\"description\"; filename=\"log.txt\"\r\nContent-Type: text/plain\r\n\r\nignored\r\n--XyZ\r\nContent-Disposition: form-data; name=\"context\"\r\n\r\nmulti\r\n--XyZ--\r\n" >mp &&
	PW_BODY=$(cat mp) api POST /api/patches/3/checks/ \
		CONTENT_TYPE="multipart/form-data; boundary=XyZ" &&
	test_expect_status 201 &&
	test "$(json_get context)" = multi &&
	test "$(json_get state)" = warning &&
	test "$(json_get description)" = null &&
	PW_BODY="junk" api POST /api/patches/3/checks/ \
		CONTENT_TYPE="multipart/form-data; boundary=XyZ" &&
	test_expect_status 400
'

test_expect_success 'the newest check per (user, context) counts' '
	apif POST /api/patches/1/checks/ "state=3&context=build-x86_64" &&
	test_expect_status 201 &&
	test "$(json_get state)" = fail &&
	test "$(check_of 1)" = fail &&
	apij POST /api/patches/1/checks/ "{\"state\":1,\"context\":\"build-x86_64\"}" &&
	test "$(check_of 1)" = warning &&
	apij POST /api/patches/1/checks/ "{\"state\":\"success\",\"context\":\"sparse\"}" &&
	test "$(check_of 1)" = success &&
	AUTH="Token $TOK_SUB" apij POST /api/patches/1/checks/ "{\"state\":\"pending\",\"context\":\"sparse\"}" &&
	test "$(check_of 1)" = pending &&
	api GET "/api/patches/?project=net&order=id" &&
	test "$(json_get 0.check)" = pending &&
	test "$(json_get 1.check)" = pending
'

test_expect_success 'the check list has the whole history, and a default context' '
	apij POST /api/patches/2/checks/ "{\"state\":\"success\"}" &&
	test "$(json_get context)" = default &&
	test "$(json_get target_url)" = null &&
	test "$(json_get description)" = null &&
	api GET /api/patches/1/checks/ &&
	test_expect_status 200 &&
	python3 -c "import json; print(len(json.load(open(\"body\"))))" >n &&
	test "$(cat n)" = 6 &&
	test "$(sql -c "SELECT count(*) FROM event WHERE category = \$\$check-created\$\$
		AND created_check_id IS NOT NULL AND actor_id IS NOT NULL")" = 8
'

test_expect_success 'bad checks: DRF messages, nothing stored' '
	n=$(sql -c "SELECT count(*) FROM ci_check") &&
	apij POST /api/patches/1/checks/ "{\"context\":\"x\"}" &&
	test_expect_status 400 &&
	printf "{\"state\":[\"A check must have a state.\"]}" >expect &&
	test_cmp expect body &&
	apif POST /api/patches/1/checks/ "state=&context=x" &&
	test_cmp expect body &&
	apij POST /api/patches/1/checks/ "{\"state\":\"bogus\",\"target_url\":\"ftp:/nope\",\"context\":\"a b\"}" &&
	test_expect_status 400 &&
	printf "%s" "{\"state\":[\"\\\"bogus\\\" is not a valid choice.\"],\"target_url\":[\"Enter a valid URL.\"],\"context\":[\"Enter a valid \\\"slug\\\" consisting of letters, numbers, underscores or hyphens.\"]}" >expect &&
	test_cmp expect body &&
	apij POST /api/patches/1/checks/ "{\"state\":\"Success\"}" &&
	test "$(json_get state.0)" = "\"Success\" is not a valid choice." &&
	apij POST /api/patches/1/checks/ "{\"state\":\"pending\",\"target_url\":\"http://ci/run\"}" &&
	test "$(json_get target_url.0)" = "Enter a valid URL." &&
	apij POST /api/patches/1/checks/ "{\"state\":\"pending\",\"target_url\":\"https://ci.example.org/$(printf %0200d 0)\"}" &&
	test "$(json_get target_url.0)" = "Ensure this field has no more than 200 characters." &&
	apij POST /api/patches/1/checks/ "{\"state\":\"pending\",\"context\":\"\"}" &&
	test "$(json_get context.0)" = "This field may not be blank." &&
	test "$(sql -c "SELECT count(*) FROM ci_check")" = "$n"
'

test_expect_success 'URLs Django accepts' '
	for u in http://localhost:8080/x https://10.0.0.1/ "https://ci.example.org/a?b=c#d" \
		ftp://user:pw@ftp.example.org/f HTTPS://CI.EXAMPLE.ORG; do
		apij POST /api/patches/1/checks/ "{\"state\":\"pending\",\"target_url\":\"$u\"}" &&
		test_expect_status 201 || return 1
	done &&
	for u in "javascript:alert(1)" "https://ci.example.org:99999/" "http://-x.example.org/" \
		"gopher://ci.example.org/" "https://ci exam.org/"; do
		apij POST /api/patches/1/checks/ "{\"state\":\"pending\",\"target_url\":\"$u\"}" &&
		test_expect_status 400 || return 1
	done
'

test_expect_success '1.4: a maintainer updates a check; check-updated' '
	id=$(sql -c "SELECT min(id) FROM ci_check WHERE patch_id = 1") &&
	apij PATCH /api/1.4/patches/1/checks/$id/ "{\"state\":\"fail\",\"description\":\"flaky\"}" &&
	test_expect_status 200 &&
	test "$(json_get state)" = fail &&
	test "$(json_get context)" = build-x86_64 &&
	test "$(json_get description)" = flaky &&
	test "$(json_get target_url)" = https://ci.example.org/run/7 &&
	test "$(sql -c "SELECT count(*) FROM event WHERE category = \$\$check-updated\$\$
		AND created_check_id = $id")" = 1 &&
	apij PATCH /api/1.4/patches/2/checks/$id/ "{\"state\":\"fail\"}" &&
	test_expect_status 404 &&
	apij PATCH /api/1.4/patches/1/checks/$id/ "{}" &&
	test_expect_status 400 &&
	test "$(json_get state.0)" = "This field is required."
'

test_done
