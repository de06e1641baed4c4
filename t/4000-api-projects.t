#!/bin/sh
# REST API: projects (spec 5), the common response shape (2.1-2.3) and
# routing (1.1-1.4).
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

test_expect_success 'projects/ at 1.3: the full objects, compact, in id order' '
	api_get /api/1.3/projects/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Type)" = application/json &&
	test "$(http_header Allow)" = "GET, HEAD, OPTIONS" &&
	test "$(http_header Vary)" = Accept &&
	test_body_compact &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,2,3]" &&
	test "$(json_keys "d[0]")" = "id,url,name,link_name,list_id,list_email,web_url,scm_url,webscm_url,maintainers,subject_match,list_archive_url,list_archive_url_format,commit_url_format" &&
	cat >expect <<-EOF &&
	{"id":2,"url":"$BASE/api/1.3/projects/2/","name":"Linux Next ✓","link_name":"linux-next","list_id":"linux-next.vger.kernel.org","list_email":"linux-next@vger.kernel.org","web_url":"","scm_url":"git://git.kernel.org/next.git","webscm_url":"https://git.kernel.org/next/","maintainers":[{"id":$BOB_ID,"url":"$BASE/api/1.3/users/$BOB_ID/","username":"bob","first_name":"","last_name":"","email":"bob@example.org"}],"subject_match":"\\\\[next\\\\]","list_archive_url":"","list_archive_url_format":"","commit_url_format":""}
	EOF
	jp "d[1]" >actual &&
	test_cmp expect actual
'

test_expect_success 'versions gate fields: 1.0 has no subject_match, 1.4 has show_dependencies' '
	api_get /api/1.0/projects/1/ &&
	test "$(json_keys)" = "id,url,name,link_name,list_id,list_email,web_url,scm_url,webscm_url,maintainers" &&
	test "$(jp "d[\"url\"]")" = "$BASE/api/1.0/projects/1/" &&
	api_get /api/1.1/projects/1/ &&
	test "$(json_keys)" = "id,url,name,link_name,list_id,list_email,web_url,scm_url,webscm_url,maintainers,subject_match" &&
	api_get /api/1.4/projects/2/ &&
	test "$(jp "d[\"show_dependencies\"]")" = true &&
	api_get /api/projects/1/ &&
	test "$(jp "d[\"show_dependencies\"]")" = false &&
	test "$(jp "d[\"url\"]")" = "$BASE/api/projects/1/" &&
	test "$(jp "d[\"maintainers\"][0][\"url\"]")" = "$BASE/api/users/$ALICE_ID/"
'

test_expect_success 'detail by id, by linkname, and a numeric linkname' '
	api_get /api/1.2/projects/netdev/ &&
	test_expect_status 200 &&
	test "$(jp "d[\"id\"]")" = 1 &&
	api_get /api/1.2/projects/7/ &&
	test "$(jp "d[\"link_name\"]")" = 7 &&
	test "$(jp "d[\"url\"]")" = "$BASE/api/1.2/projects/3/" &&
	api_get /api/1.2/projects/3/ &&
	test "$(jp "d[\"name\"]")" = Seven
'

test_expect_success 'a missing project: 404 with DRF body' '
	api_get /api/1.2/projects/nope/ &&
	test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Project matches the given query.\"}" &&
	test "$(http_header Content-Type)" = application/json &&
	api_get /api/1.2/projects/99/ &&
	test_expect_status 404
'

test_expect_success 'q searches the URL fields, every term must match' '
	api_get /api/projects/ "q=kernel.org" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,2]" &&
	api_get /api/projects/ "q=NEXT" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[2]" &&
	api_get /api/projects/ "q=kernel.org+netdev" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1]" &&
	api_get /api/projects/ "q=%25" &&
	test "$(jp "d")" = "[]" &&
	api_get /api/projects/ "q=+" &&
	test "$(jp "len(d)")" = 3
'

test_expect_success 'order: name, -link_name, list_id; unknown fields fall back to id' '
	api_get /api/projects/ "order=name" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[2,1,3]" &&
	api_get /api/projects/ "order=-link_name" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,2,3]" &&
	api_get /api/projects/ "order=list_id" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[2,1,3]" &&
	api_get /api/projects/ "order=bogus" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,2,3]" &&
	api_get /api/projects/ "order=bogus,-id" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[3,2,1]"
'

test_expect_success 'routing: trailing slash 301 keeps the query; unknown version 404 HTML' '
	pw_get /api/1.2/projects "per_page=1" &&
	test_expect_status 301 &&
	test "$(http_header Location)" = "/api/1.2/projects/?per_page=1" &&
	pw_get /api/2.0/projects/ &&
	test_expect_status 404 &&
	grep -i "<html" body &&
	pw_get /api/1.2/patches/abc/ &&
	test_expect_status 404 &&
	grep -i "<html" body
'

test_expect_success 'HEAD has the headers and no body; OPTIONS answers' '
	PW_BODY= pw_request HEAD /api/1.2/projects/ &&
	test_expect_status 200 &&
	test_must_be_empty body &&
	test -n "$(http_header Link)" &&
	pw_request OPTIONS /api/1.2/projects/ &&
	test_expect_status 200 &&
	test "$(jp "d[\"name\"]")" = "Project List"
'

test_expect_success 'POST to projects is 405 with Allow' '
	pw_post /api/1.2/projects/ "x=1" &&
	test_expect_status 405 &&
	test "$(http_header Allow)" = "GET, HEAD, OPTIONS" &&
	test_body_is "{\"detail\":\"Method \\\"POST\\\" not allowed.\"}"
'

test_expect_success 'a bad token is 403 even on a public GET; Bearer works' '
	api_get_as 0000000000000000000000000000000000000000 /api/1.2/projects/ &&
	test_expect_status 403 &&
	test_body_is "{\"detail\":\"Invalid token.\"}" &&
	pw_get /api/1.2/projects/ "" HTTP_AUTHORIZATION="Token" &&
	test_expect_status 403 &&
	grep "No credentials provided" body &&
	pw_get /api/1.2/projects/ "" HTTP_AUTHORIZATION="Token a b" &&
	test_expect_status 403 &&
	grep "should not contain spaces" body &&
	api_get_as "$CAROL" /api/1.2/projects/ &&
	test_expect_status 403 &&
	grep "User inactive or deleted." body &&
	pw_get /api/1.2/users/ "" HTTP_AUTHORIZATION="Bearer $ALICE" &&
	test_expect_status 200 &&
	pw_get /api/1.2/projects/ "" HTTP_AUTHORIZATION="Digest x=1" &&
	test_expect_status 200
'

test_done
