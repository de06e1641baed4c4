#!/bin/sh
# REST API: patch and cover comments (spec 7) and checks (spec 8), GET.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

ids() {
	jp "[x[\"id\"] for x in d]"
}

test_expect_success 'comment routes: lists from 1.1, details from 1.3' '
	api_get /api/1.0/patches/1/comments/ && test_expect_status 404 &&
	grep -i "<html" body &&
	api_get /api/1.1/patches/1/comments/ && test_expect_status 200 &&
	api_get /api/1.2/patches/1/comments/1/ && test_expect_status 404 &&
	grep -i "<html" body &&
	api_get /api/1.3/patches/1/comments/1/ && test_expect_status 200 &&
	api_get /api/covers/1/comments/1/ && test_expect_status 200
'

test_expect_success 'patch comments at 1.3, byte for byte' '
	api_get /api/1.3/patches/1/comments/ &&
	test_body_compact &&
	cat >expect <<-EOF &&
	{"id":2,"url":"$BASE/api/1.3/patches/1/comments/2/","web_url":"$BASE/comment/2/","msgid":"<c2@example.org>","list_archive_url":"https://lore.kernel.org/r/c2@example.org","date":"2024-05-01T12:00:00","subject":"Re: [PATCH v2 1/3]\\n net: fix foo (folded)","submitter":{"id":2,"url":"$BASE/api/1.3/people/2/","name":"Jörg Doe","email":"joerg@example.de"},"content":"Needs work.\\n","headers":{"From":"=?utf-8?q?J=C3=B6rg?= Doe <joerg@example.de>","Subject":"Re: [PATCH v2 1/3]\\n net: fix foo (folded)","X-Patchwork-Action-Required":"yes"},"addressed":false}
	EOF
	jp "d[1]" >actual &&
	test_cmp expect actual &&
	test "$(jp "[c[\"addressed\"] for c in d]")" = "[null,false]"
'

test_expect_success 'comment fields per version' '
	api_get /api/1.1/patches/1/comments/ &&
	test "$(json_keys "d[0]")" = "id,web_url,msgid,date,subject,submitter,content,headers" &&
	api_get /api/1.2/patches/1/comments/ &&
	test "$(json_keys "d[0]")" = "id,web_url,msgid,list_archive_url,date,subject,submitter,content,headers" &&
	api_get /api/patches/2/comments/3/ &&
	test "$(json_keys)" = "id,url,web_url,msgid,list_archive_url,date,subject,submitter,content,headers,addressed" &&
	test "$(jp "[d[\"addressed\"], d[\"content\"]]")" = "[true,null]"
'

test_expect_success 'comments: 404s, q on the subject, order' '
	api_get /api/patches/99/comments/ && test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Patch matches the given query.\"}" &&
	api_get /api/covers/99/comments/ && test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Cover matches the given query.\"}" &&
	api_get /api/patches/2/comments/1/ && test_expect_status 404 &&
	test_body_is "{\"detail\":\"No PatchComment matches the given query.\"}" &&
	api_get /api/covers/1/comments/2/ && test_expect_status 404 &&
	test_body_is "{\"detail\":\"No CoverComment matches the given query.\"}" &&
	api_get /api/patches/1/comments/ "q=folded" && test "$(ids)" = "[2]" &&
	api_get /api/patches/1/comments/ "q=re:+foo" && test "$(ids)" = "[1,2]" &&
	api_get /api/patches/1/comments/ "order=-date" && test "$(ids)" = "[2,1]" &&
	api_get /api/patches/1/comments/ "order=-subject" && test "$(ids)" = "[1,2]" &&
	api_get /api/patches/1/comments/ "order=submitter" && test "$(ids)" = "[2,1]" &&
	api_get /api/patches/4/comments/ && test_body_is "[]"
'

test_expect_success 'cover comments' '
	api_get /api/1.3/covers/1/comments/ &&
	test "$(jp "d[0][\"url\"]")" = "$BASE/api/1.3/covers/1/comments/1/" &&
	test "$(jp "d[0][\"subject\"]")" = "Re: [PATCH v2 0/3] net: foo fixes" &&
	test "$(jp "d[0][\"web_url\"]")" = "$BASE/comment/1/"
'

test_expect_success 'checks at 1.3, byte for byte; a check whose user is gone' '
	api_get /api/1.3/patches/1/checks/ &&
	test_body_compact &&
	cat >expect <<-EOF &&
	{"id":2,"url":"$BASE/api/1.3/patches/1/checks/2/","user":{"id":$CIBOT_ID,"url":"$BASE/api/1.3/users/$CIBOT_ID/","username":"ci-bot","first_name":"","last_name":"","email":"ci@example.org"},"date":"2024-05-01T10:30:00.402113","state":"success","target_url":"https://ci.example.org/2","context":"build","description":"Build passed"}
	{"id":3,"url":"$BASE/api/1.3/patches/1/checks/3/","user":null,"date":"2024-05-01T10:25:00","state":"warning","target_url":"","context":"lint","description":null}
	EOF
	{ jp "d[1]" && jp "d[2]"; } >actual &&
	test_cmp expect actual &&
	api_get /api/1.0/patches/1/checks/ &&
	test "$(json_keys "d[0]")" = "id,url,user,date,state,target_url,context,description"
'

test_expect_success 'check detail and its 404s' '
	api_get /api/1.2/patches/1/checks/1/ &&
	test "$(jp "[d[\"state\"], d[\"url\"]]")" = "[\"fail\",\"$BASE/api/1.2/patches/1/checks/1/\"]" &&
	api_get /api/patches/2/checks/1/ && test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Check matches the given query.\"}" &&
	api_get /api/patches/99/checks/ && test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Patch matches the given query.\"}" &&
	api_get /api/patches/99/checks/1/ && test_expect_status 404
'

test_expect_success 'check filters: user, state (label or code), context, dates' '
	api_get /api/patches/1/checks/ "user=ci-bot" && test "$(ids)" = "[1,2]" &&
	api_get /api/patches/1/checks/ "user=$CIBOT_ID&user=CI-BOT" && test "$(ids)" = "[1,2]" &&
	api_get /api/patches/1/checks/ "user=nobody" && test "$(ids)" = "[]" &&
	api_get /api/patches/1/checks/ "state=fail" && test "$(ids)" = "[1]" &&
	api_get /api/patches/1/checks/ "state=1" && test "$(ids)" = "[2]" &&
	api_get /api/patches/1/checks/ "state=bogus" && test "$(ids)" = "[]" &&
	api_get /api/patches/1/checks/ "context=lint" && test "$(ids)" = "[3]" &&
	api_get /api/patches/1/checks/ "context=LINT" && test "$(ids)" = "[]" &&
	api_get /api/patches/1/checks/ "since=2024-05-01T10:25:00" && test "$(ids)" = "[2,3]" &&
	api_get /api/patches/1/checks/ "before=2024-05-01T10:25:00" && test "$(ids)" = "[1]"
'

test_expect_success 'check order: every field, NULLs last ascending' '
	api_get /api/patches/1/checks/ "order=-date" && test "$(ids)" = "[2,3,1]" &&
	api_get /api/patches/1/checks/ "order=state" && test "$(ids)" = "[2,3,1]" &&
	api_get /api/patches/1/checks/ "order=context" && test "$(ids)" = "[1,2,3]" &&
	api_get /api/patches/1/checks/ "order=user" && test "$(ids)" = "[1,2,3]" &&
	api_get /api/patches/1/checks/ "order=-user" && test "$(ids)" = "[3,2,1]" &&
	api_get /api/patches/1/checks/ "order=target_url" && test "$(ids)" = "[3,1,2]" &&
	api_get /api/patches/1/checks/ "order=description" && test "$(ids)" = "[1,2,3]"
'

test_done
