#!/bin/sh
# pw.fcgi as CGI: routing, the API index, error bodies, canonical paths.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh

# No database anywhere: the routes tested here must not need one, and the
# home page must fail cleanly.
cat > patchwork.conf <<'EOF'
database {
	url = "host=/nonexistent dbname=patchwork connect_timeout=2"
}
http {
	base_url = "http://testserver"
	max_body = 1024
}
EOF
PW_CONFIG=$TRASH/patchwork.conf
export PW_CONFIG

# index BASE VERSION/: the index body Django gives.
index() {
	local sep= r
	printf '{'
	for r in projects users people patches covers series events bundles; do
		printf '%s"%s":"%s/api/%s%s/"' "$sep" "$r" "$1" "$2" "$r"
		sep=,
	done
	printf '}'
}

test_expect_success 'GET /api/ answers the index, byte for byte' '
	pw_get /api/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Type)" = application/json &&
	test "$(http_header Allow)" = "GET, HEAD, OPTIONS" &&
	test "$(http_header Vary)" = Accept &&
	index http://testserver "" >expect &&
	test_cmp expect body &&
	test "$(http_header Content-Length)" = "$(wc -c <body | tr -d " ")"
'

test_expect_success 'every version has its index, with its version in the URLs' '
	for v in 1.0 1.1 1.2 1.3 1.4; do
		pw_get /api/$v/ && test_expect_status 200 &&
		index http://testserver "$v/" >expect &&
		test_cmp expect body || return 1
	done
'

test_expect_success 'URLs come from http.base_url, not from the Host header' '
	PW_HOST=pw.example.org:8443 pw_get /api/1.1/ "" HTTPS=on &&
	index http://testserver 1.1/ >expect &&
	test_cmp expect body
'

test_expect_success 'a Host header with junk in it is a 400' '
	PW_HOST="evil\"host" pw_get /api/ &&
	test_expect_status 400
'

test_expect_success 'an unknown API version is the HTML 404 of an unmatched route' '
	pw_get /api/2.0/ &&
	test_expect_status 404 &&
	test "$(http_header Content-Type)" = "text/html; charset=utf-8" &&
	grep "does not exist" body
'

test_expect_success 'the 404 page shows the path decoded and escaped' '
	pw_get "/nope/%3Cb%3E%26%22x%27/" &&
	test_expect_status 404 &&
	grep -F "(<code>/nope/&lt;b&gt;&amp;&quot;x&#39;/</code>)" body
'

test_expect_success 'a wrong method on an API route is a JSON 405 with Allow' '
	pw_request DELETE /api/1.2/ &&
	test_expect_status 405 &&
	test "$(http_header Allow)" = "GET, HEAD, OPTIONS" &&
	test "$(http_header Content-Type)" = application/json &&
	printf "{\"detail\":\"Method \\\\\"DELETE\\\\\" not allowed.\"}" >expect &&
	test_cmp expect body
'

test_expect_success 'a wrong method on a page is an HTML 405 with Allow' '
	pw_post / "a=b" &&
	test_expect_status 405 &&
	test "$(http_header Allow)" = "GET, HEAD" &&
	test "$(http_header Content-Type)" = "text/html; charset=utf-8" &&
	grep "<code>POST</code> is not allowed" body
'

test_expect_success 'OPTIONS on an API route describes it' '
	pw_request OPTIONS /api/1.0/ &&
	test_expect_status 200 &&
	grep "^{\"name\":\"Index\"," body
'

test_expect_success 'GET without the trailing slash is a 301, query kept' '
	pw_get /api/1.2 "project=linux&archived=no" &&
	test_expect_status 301 &&
	test "$(http_header Location)" = "/api/1.2/?project=linux&archived=no" &&
	test_must_be_empty body &&
	pw_get /api &&
	test_expect_status 301 &&
	test "$(http_header Location)" = /api/
'

test_expect_success 'HEAD without the trailing slash is a 301 too' '
	pw_request HEAD /api/1.3 &&
	test_expect_status 301
'

test_expect_success 'other methods are served as if the slash were there' '
	pw_post /api/1.2 "x=1" &&
	test_expect_status 405 &&
	test "$(http_header Allow)" = "GET, HEAD, OPTIONS"
'

test_expect_success 'no redirect for a path no route has, slash or not' '
	pw_get /nothing/here &&
	test_expect_status 404
'

test_expect_success 'HEAD has the GET headers and no body' '
	pw_get /api/1.4/ && cp headers get-headers &&
	pw_request HEAD /api/1.4/ &&
	test_expect_status 200 &&
	test_cmp get-headers headers &&
	test_must_be_empty body
'

test_expect_success 'the path is canonicalised: //, ., .., unreserved escapes' '
	index http://testserver 1.1/ >expect &&
	pw_get "//api/./1.3/../1.1//" && test_expect_status 200 &&
	test_cmp expect body &&
	pw_get "/%61pi/1%2e1/" && test_expect_status 200 &&
	test_cmp expect body &&
	pw_get "/api/1.1/." && test_expect_status 200 &&
	test_cmp expect body
'

test_expect_success 'an encoded slash is not a path separator' '
	pw_get "/api%2F1.1/" &&
	test_expect_status 404
'

test_expect_success '.. above the root, bad escapes and NUL are 400' '
	pw_get "/../api/" && test_expect_status 400 &&
	pw_get "/api/%zz/" && test_expect_status 400 &&
	pw_get "/api/%00/" && test_expect_status 400
'

test_expect_success 'a body over http.max_body is a 413 (JSON under /api/)' '
	pw_post /api/ "$(printf "%01025d" 0)" &&
	test_expect_status 413 &&
	test "$(http_header Content-Type)" = application/json &&
	grep -F "{\"detail\":" body &&
	pw_post / "$(printf "%01025d" 0)" &&
	test_expect_status 413 &&
	test "$(http_header Content-Type)" = "text/html; charset=utf-8"
'

test_expect_success 'a body at the limit is read' '
	pw_post /api/ "$(printf "%01024d" 0)" &&
	test_expect_status 405
'

test_expect_success 'a short body is a 400' '
	PW_BODY=abc pw_request POST /api/ "" CONTENT_LENGTH=10 &&
	test_expect_status 400
'

test_expect_success 'an unknown method is a 405, named only if it is a token' '
	pw_request BREW /api/ &&
	test_expect_status 405 &&
	grep -F "Method \\\"BREW\\\" not allowed." body &&
	pw_request "B<R>EW" /api/ &&
	test_expect_status 405 &&
	grep -F "Method \\\"OTHER\\\" not allowed." body
'

test_expect_success 'the database down: the home page is a clean 503' '
	pw_get / 2>err &&
	test_expect_status 503 &&
	test "$(http_header Retry-After)" = 5 &&
	test "$(http_header Content-Type)" = "text/html; charset=utf-8" &&
	grep "<h1>Service Unavailable</h1>" body &&
	grep "\[[0-9]*\.1\] GET / " err
'

test_expect_success 'outside a FastCGI manager and without CGI variables: usage' '
	test_expect_code 64 env -u REQUEST_METHOD pw.fcgi </dev/null
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success '-u names an unknown user: 67' '
		test_expect_code 67 pw.fcgi -u no-such-user-pw -s "$TRASH/x.sock" &&
		! test -e "$TRASH/x.sock"
	'
else
	test_expect_success '-u without root: 77' '
		test_expect_code 77 pw.fcgi -u nobody -s "$TRASH/x.sock" &&
		! test -e "$TRASH/x.sock"
	'
fi

test_expect_success 'a bad option is a usage error' '
	test_expect_code 64 pw.fcgi -w 0 &&
	test_expect_code 64 pw.fcgi -x
'

test_expect_success 'pw.fcgi -n checks the configuration' '
	pw.fcgi -n >out &&
	echo "configuration OK" >expect &&
	test_cmp expect out
'

test_done
