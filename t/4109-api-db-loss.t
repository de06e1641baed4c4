#!/bin/sh
# The database goes away under the pool: API requests, writes included,
# answer 503 with a JSON body (and Retry-After), downloads a 503 page;
# nothing is half-written; the worker reconnects when it is back.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

test_pick_port
APIW_BASE_URL=$HTTP_URL
apiw_setup
test_start_http 1

# hreq METHOD PATH [BODY]: status on stdout, ./body, ./headers.
hreq() {
	curl -s -D headers.raw -o body -w "%{http_code}" -X "$1" \
		-H "Authorization: Token $TOK_MAINT" \
		-H "Content-Type: application/json" ${3:+--data-binary "$3"} \
		"$HTTP_URL$2" && tr -d "\\r" <headers.raw >headers
}

test_expect_success 'with the database: a write and a read' '
	test "$(hreq PATCH /api/patches/1/ "{\"state\":\"accepted\"}")" = 200 &&
	test "$(hreq GET /api/patches/1/)" = 200
'

test_expect_success 'without it: 503 with a JSON body, for reads and writes' '
	sql -c CHECKPOINT >/dev/null &&	# the test cluster commits asynchronously
	test_stop_db &&
	for r in "GET /api/patches/" "GET /api/patches/1/" \
		"PATCH /api/patches/1/" "POST /api/patches/1/checks/" \
		"POST /api/bundles/" "GET /api/bundles/"; do
		set -- $r
		test "$(hreq $1 $2 "{\"state\":\"new\"}")" = 503 || return 1
		test "$(sed -n "s/^Content-Type: //p" headers)" = application/json &&
		test "$(sed -n "s/^Retry-After: //p" headers)" = 5 &&
		python3 -c "import json; assert json.load(open(\"body\"))[\"detail\"]" ||
		return 1
	done &&
	test "$(hreq GET /series/1/mbox/)" = 503 &&
	test "$(hreq GET /api/)" = 503
'

test_expect_success 'it comes back: the same worker reconnects' '
	test_start_db &&
	test "$(hreq GET /api/patches/1/)" = 200 &&
	test "$(json_get state)" = accepted &&
	test "$(hreq PATCH /api/patches/1/ "{\"state\":\"new\"}")" = 200 &&
	test "$(hreq GET /series/1/mbox/)" = 200 &&
	! grep -E "killed by signal|exited with status" "$TRASH/pool.log"
'

test_done
