#!/bin/sh
# `make run` (tools/run): comes up, answers /api/ through nginx, serves
# `pw` through RUNDIR/env, stops every process on SIGINT, keeps the data.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh

test_need_cmd nginx
test_need_cmd curl
pg_bindir >/dev/null || skip_all "no PostgreSQL server binaries"

# Under /tmp: as root, tools/run's servers run as pwrun, which must reach
# RUNDIR (and tools/run would open up a directory above it otherwise).
RUNDIR=$(mktemp -d /tmp/pwrun.XXXXXX)
PORT=$(test_free_port)
HTTP_URL=http://127.0.0.1:$PORT
export RUNDIR PORT HTTP_URL
test_atexit "stop_run; rm -rf '$RUNDIR'"

# start_run: tools/run in the background, until /api/ answers.  A
# background job of a shell ignores SIGINT, which Ctrl-C sends: perl
# restores the default so that the test delivers what a terminal would.
start_run() {
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' \
		sh "$SRC_DIR/tools/run" >>run.log 2>&1 &
	RUN_PID=$!
	i=0
	until curl -s -o /dev/null -w "%{http_code}" \
			"http://127.0.0.1:$PORT/api/" 2>/dev/null | grep -qx 200; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$RUN_PID" 2>/dev/null; then
			cat run.log
			return 1
		fi
		sleep 0.1
	done
}

stop_run() {
	[ -n "${RUN_PID:-}" ] || return 0
	kill -INT "$RUN_PID" 2>/dev/null
	wait "$RUN_PID"
	_run_rc=$?
	RUN_PID=
	return $_run_rc
}

# A live process (a zombie left to a non-reaping init counts as gone).
alive() {
	[ -r "/proc/$1/stat" ] && ! sed -e 's/^.*) //' "/proc/$1/stat" | grep -q "^Z"
}

# Every process of the instance: PostgreSQL, nginx, the pool and the
# webhook worker, with their children.
instance_pids() {
	for p in $(head -n 1 "$RUNDIR/pg/postmaster.pid") \
		 $(cat "$RUNDIR/nginx.pid") $(cat "$RUNDIR/pw.fcgi.pid") \
		 $(cat "$RUNDIR/pw-webhook.pid" 2>/dev/null); do
		echo "$p"
		ps -o pid= --ppid "$p" | tr -d " "
	done
}

test_expect_success 'tools/run comes up and answers /api/ through nginx' '
	start_run &&
	test "$(http_get /api/1.2/)" = 200 &&
	grep -F "\"projects\":\"http://127.0.0.1:$PORT/api/1.2/projects/\"" body &&
	grep "first start" run.log
'

test_expect_success 'the PostgreSQL cluster listens on a unix socket only' '
	(. "$RUNDIR/env" && psql -X -A -t -c "SHOW listen_addresses") >out &&
	echo >expect &&
	test_cmp expect out &&
	test -S "$RUNDIR/.s.PGSQL.5432"
'

test_expect_success 'RUNDIR/env points pw at the instance' '
	(
		. "$RUNDIR/env" &&
		pw db status &&
		psql -X -A -t -c "CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (42)"
	)
'

if test -x "$PW_BIN/pw-admin"; then
	test_expect_success 'the first start created the admin and the demo project' '
		(. "$RUNDIR/env" && pw admin project list) >projects &&
		grep demo projects &&
		test -s "$RUNDIR/admin-password"
	'
	test_expect_success '. RUNDIR/env; pw admin project create acts on the instance' '
		(. "$RUNDIR/env" && pw admin project create -n Other -l other \
			-i other.example.org -e other@example.org) &&
		test "$(http_get /api/1.2/projects/other/)" = 200 &&
		grep "\"list_id\":\"other.example.org\"" body
	'
else
	test_skip 'the first start created the admin and the demo project' 'no pw-admin yet'
fi

if test -x "$PW_BIN/pw-ingress"; then
	test_expect_success 'the first start ingested the sample mbox into the demo project' '
		(. "$RUNDIR/env" && psql -X -A -t -c "SELECT count(*) FROM patch p JOIN project j ON j.id = p.project_id WHERE j.linkname = '"'"'demo'"'"'") >n &&
		test "$(cat n)" -gt 50 &&
		test "$(http_get "/api/1.2/patches/?project=demo&per_page=5")" = 200 &&
		grep "\"mbox\":" body &&
		(. "$RUNDIR/env" && psql -X -A -t -c "SELECT count(*) = (SELECT count(*) FROM patch) FROM patch_search") >indexed &&
		test "$(cat indexed)" = t
	'
fi

if test -x "$PW_BIN/pw-webhook"; then
	test_expect_success 'the webhook worker runs, as the pool'"'"'s user' '
		pid=$(cat "$RUNDIR/pw-webhook.pid") &&
		alive "$pid" &&
		grep -q "pw-webhook" "/proc/$pid/cmdline" &&
		if [ "$(id -u)" = 0 ]; then
			test "$(stat -c %U "/proc/$pid")" = pwrun
		fi
	'
fi

test_expect_success 'SIGINT stops nginx, the pool, the webhook worker and PostgreSQL' '
	instance_pids >pids &&
	test "$(wc -l <pids)" -ge 6 &&
	stop_run &&
	for p in $(cat pids); do
		! alive "$p" || { echo "process $p still runs" >&2; return 1; }
	done &&
	! test -e "$RUNDIR/pg/postmaster.pid" &&
	! test -e "$RUNDIR/pw.sock" &&
	! test -e "$RUNDIR/pw-webhook.pid" &&
	! curl -s "http://127.0.0.1:$PORT/api/"
'

test_expect_success 'a second start keeps the data and does not initdb again' '
	: >run.log &&
	start_run &&
	! grep "first start" run.log &&
	(. "$RUNDIR/env" && psql -X -A -t -c "SELECT x FROM keep_me") >out &&
	echo 42 >expect &&
	test_cmp expect out &&
	stop_run
'

test_done
