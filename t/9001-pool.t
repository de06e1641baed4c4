#!/bin/sh
# The pw.fcgi pool behind nginx: it answers, it survives a dead worker,
# SIGHUP renews it, SIGTERM stops it.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh

test_pick_port
cat > patchwork.conf <<EOF
database {
	url = "host=/nonexistent dbname=patchwork connect_timeout=2"
}
http {
	base_url = "$HTTP_URL"
}
EOF
PW_CONFIG=$TRASH/patchwork.conf
export PW_CONFIG

test_start_http 2

# wait_workers N: until the pool has N workers (3 s at most).
wait_workers() {
	local i=0
	while [ "$(pool_workers "$POOL_PID" | wc -l)" != "$1" ]; do
		i=$((i + 1))
		[ $i -gt 60 ] && { echo "pool has $(pool_workers "$POOL_PID" | wc -l) workers, not $1" >&2; return 1; }
		sleep 0.05
	done
}

test_expect_success 'the API index answers through nginx' '
	test "$(http_get /api/1.3/)" = 200 &&
	grep -F "\"projects\":\"$HTTP_URL/api/1.3/projects/\"" body &&
	test "$(sed -n "s/^Content-Type: //p" headers)" = application/json
'

test_expect_success 'a path without its slash is redirected through nginx' '
	test "$(http_get "/api/1.1?q=x")" = 301 &&
	grep -x "Location: /api/1.1/?q=x" headers
'

test_expect_success 'static files come from nginx' '
	echo "static hello" >"$HTTPDIR/static/hello.txt" &&
	test "$(http_get /static/hello.txt)" = 200 &&
	echo "static hello" >expect &&
	test_cmp expect body
'

test_expect_success 'the pool runs the workers it was asked for' '
	wait_workers 2
'

test_expect_success 'a worker killed with SIGKILL is replaced, requests keep working' '
	pool_workers "$POOL_PID" | sort >before &&
	victim=$(head -n 1 before) &&
	kill -9 "$victim" &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		test "$(http_get /api/)" = 200 || return 1
	done &&
	wait_workers 2 &&
	pool_workers "$POOL_PID" | sort >after &&
	! grep -x "$victim" after &&
	test "$(comm -13 before after | wc -l)" = 1 &&
	grep "worker $victim killed by signal 9" "$TRASH/pool.log"
'

test_expect_success 'concurrent requests all succeed' '
	seq 0 79 | xargs -P 8 -I{} curl -s -o /dev/null -w "%{http_code}\n" \
		"$HTTP_URL/api/?n={}" >codes &&
	test "$(grep -c "^200$" codes)" = 80
'

test_expect_success 'the database down: a clean 503 through nginx, the worker lives' '
	pool_workers "$POOL_PID" | sort >before &&
	test "$(http_get /)" = 503 &&
	grep "<h1>Service Unavailable</h1>" body &&
	test "$(http_get /api/)" = 200 &&
	pool_workers "$POOL_PID" | sort >after &&
	test_cmp before after
'

test_expect_success 'SIGHUP replaces every worker' '
	pool_workers "$POOL_PID" | sort >before &&
	kill -HUP "$POOL_PID" &&
	i=0 &&
	while pool_workers "$POOL_PID" | grep -qxF -f before; do
		i=$((i + 1)) && test $i -lt 60 || return 1
		sleep 0.05
	done &&
	wait_workers 2 &&
	test "$(http_get /api/)" = 200
'

test_expect_success 'no request fails while the workers are replaced under load' '
	seq 1 300 | xargs -P 6 -I{} curl -s -o /dev/null -w "%{http_code}\n" \
		"$HTTP_URL/api/?n={}" >codes &
	load=$! &&
	for i in 1 2 3 4 5; do
		sleep 0.1 && kill -HUP "$POOL_PID" || return 1
	done &&
	wait $load &&
	sort codes | uniq -c &&
	test "$(grep -c "^200$" codes)" = 300
'

test_expect_success 'SIGTERM stops the workers and the pool, and removes the socket' '
	pool_workers "$POOL_PID" >workers &&
	test -s workers &&
	kill -TERM "$POOL_PID" &&
	wait "$POOL_PID" &&
	POOL_PID= &&
	for w in $(cat workers); do
		! kill -0 "$w" 2>/dev/null || return 1
	done &&
	! test -e "$HTTPDIR/pw.sock" &&
	test "$(http_get /api/)" = 502
'

if command -v spawn-fcgi >/dev/null 2>&1; then
	test_expect_success 'started by spawn-fcgi, the pool takes the socket on fd 0' '
		user=$(_http_user) &&
		spawn-fcgi -n -s "$HTTPDIR/pw.sock" -M 0660 \
			${user:+-u "$user" -U "$user"} -- \
			"$PW_BIN/pw.fcgi" -w 2 2>>"$TRASH/pool.log" &
		POOL_PID=$! &&
		wait_workers 2 &&
		test "$(http_get /api/1.0/)" = 200 &&
		grep -F "\"users\":\"$HTTP_URL/api/1.0/users/\"" body &&
		kill -TERM "$POOL_PID" &&
		wait "$POOL_PID" &&
		POOL_PID= &&
		test -S "$HTTPDIR/pw.sock"
	'
else
	test_skip 'started by spawn-fcgi, the pool takes the socket on fd 0' 'no spawn-fcgi'
fi

test_expect_success 'the production example sets the same FastCGI parameters' '
	grep -h "^[[:space:]]*fastcgi_param" "$SRC_DIR/etc/nginx/patchwork.conf" >template &&
	grep -h "^[[:space:]]*fastcgi_param" "$SRC_DIR/etc/nginx/patchwork.example.conf" >example &&
	test_cmp template example &&
	! grep -q "^[[:space:]]*fastcgi_keep_conn" "$SRC_DIR/etc/nginx/patchwork.conf" "$SRC_DIR/etc/nginx/patchwork.example.conf"
'

if command -v openssl >/dev/null 2>&1; then
	test_expect_success 'the production example passes nginx -t' '
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test \
			-keyout key.pem -out cert.pem 2>/dev/null &&
		sed -e "s|/etc/letsencrypt/live/patchwork.example.org/fullchain.pem|$TRASH/cert.pem|" \
		    -e "s|/etc/letsencrypt/live/patchwork.example.org/privkey.pem|$TRASH/key.pem|" \
		    -e "s|listen \(.*\)80;|listen \1$(test_free_port);|" \
		    -e "s|listen \(.*\)443 |listen \1$(test_free_port) |" \
		    "$SRC_DIR/etc/nginx/patchwork.example.conf" >site.conf &&
		printf "pid %s/t.pid;\nevents {}\nhttp { include %s/site.conf; }\n" \
			"$TRASH" "$TRASH" >nginx.conf &&
		nginx -t -q -e "$TRASH/t-error.log" -p "$TRASH" -c "$TRASH/nginx.conf"
	'
else
	test_skip 'the production example passes nginx -t' 'no openssl'
fi

test_expect_success 'no worker reported a memory or undefined-behaviour error' '
	! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$TRASH/pool.log"
'

test_done
