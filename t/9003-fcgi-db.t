#!/bin/sh
# pw.fcgi and its database: the home page lists projects; a worker
# survives the database going away and reconnects when it is back; the
# schema is checked on every new connection; workers retire after
# http.max_requests.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh

test_setup_db

test_pick_port
cat > patchwork.conf <<EOF
database {
	connect_timeout = 2
}
http {
	base_url = "$HTTP_URL"
	max_requests = 5
}
EOF
PW_CONFIG=$TRASH/patchwork.conf
export PW_CONFIG

test_expect_success 'the home page without projects says so' '
	pw_get / &&
	test_expect_status 200 &&
	grep "Patchwork doesn.t have any projects to display!" body
'

test_expect_success 'the home page lists the projects, escaped' '
	sql -c "INSERT INTO project (linkname, name, listid, listemail, web_url)
		VALUES (\$\$b-proj\$\$, \$\$B <&> \"q\"\$\$, \$\$b.example.org\$\$,
			\$\$b@example.org\$\$, \$\$https://b.example.org/?a=1&b=2\$\$),
		       (\$\$a-proj\$\$, \$\$A project\$\$, \$\$a.example.org\$\$,
			\$\$a@example.org\$\$, \$\$\$\$)" &&
	pw_get / &&
	test_expect_status 200 &&
	grep -F "<a href=\"/project/b-proj/\">B &lt;&amp;&gt; &quot;q&quot;</a>" body &&
	grep -F "<a href=\"https://b.example.org/?a=1&amp;b=2\">Website</a>" body &&
	grep -F "<a href=\"/project/a-proj/list/\">View patches</a>" body &&
	test "$(grep -c "a-proj/\"" body)" = 1 &&
	test "$(grep -n "A project" body | cut -d: -f1)" -lt \
		"$(grep -n "B &lt;" body | cut -d: -f1)"
'

test_expect_success 'a schema newer than pw.fcgi: 503, and the log says why' '
	sql -c "INSERT INTO schema_migrations (version, name, checksum, pw_version)
		VALUES (9999, \$\$future\$\$, repeat(\$\$0\$\$, 64), \$\$99\$\$)" &&
	test_when_finished "sql -c \"DELETE FROM schema_migrations WHERE version = 9999\"" &&
	pw_get / 2>err &&
	test_expect_status 503 &&
	grep -i "newer" err &&
	pw_get /api/ &&
	test_expect_status 200
'

test_start_http 1

test_expect_success 'through the pool: the home page answers' '
	test "$(http_get /)" = 200 &&
	grep "A project" body
'

test_expect_success 'the database goes away: 503, and the worker lives on' '
	test_stop_db &&
	test "$(http_get /)" = 503 &&
	test "$(sed -n "s/^Retry-After: //p" headers)" = 5 &&
	test "$(http_get /api/)" = 200 &&
	test "$(http_get /)" = 503
'

test_expect_success 'the database comes back: the worker reconnects' '
	test_start_db &&
	test "$(http_get /)" = 200 &&
	grep "A project" body &&
	! grep -E "killed by signal|exited with status" "$TRASH/pool.log"
'

test_expect_success 'a worker retires after http.max_requests and is replaced' '
	w1=$(pool_workers "$POOL_PID") &&
	for i in 1 2 3 4 5 6 7; do
		test "$(http_get /api/)" = 200 || return 1
	done &&
	w2=$(pool_workers "$POOL_PID") &&
	test -n "$w2" &&
	test "$w1" != "$w2" &&
	! grep -E "killed by signal|exited with status|replacing it" "$TRASH/pool.log"
'

test_expect_success 'no worker reported a memory or undefined-behaviour error' '
	! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$TRASH/pool.log"
'

test_done
