#!/bin/sh
# common/db.c against a real server: parameters, SQLSTATE classes,
# prepared statements, reconnection, transactions and advisory locks.
. "$(dirname "$0")"/lib.sh

test_setup_db

# run_tap NAME [ARGS]: a pw-test subcommand whose TAP must be all "ok",
# with as many as its plan says.
run_tap() {
	pw-test "$@" >tap.out 2>tap.err
	rc=$?
	cat tap.out tap.err
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' tap.out)
	oks=$(grep -c '^ok ' tap.out)
	[ "$rc" = 0 ] && [ -n "$plan" ] && [ "$plan" -gt 0 ] &&
	[ "$plan" = "$oks" ] && ! grep -q '^not ok' tap.out
}

test_expect_success 'parameters and results round-trip' '
	run_tap db-params
'

test_expect_success 'failures are classified by SQLSTATE' '
	run_tap db-errors
'

test_expect_success 'duplicates are logged at debug level only' '
	run_tap db-errors &&
	! grep -i "duplicate key" tap.err &&
	grep "42601" tap.err
'

test_expect_success 'statements are prepared once per connection' '
	run_tap db-prepared
'

test_expect_success 'transactions and advisory locks' '
	run_tap db-tx
'

# Last: it stops and restarts the server.
as_pg() {
	if [ "$(id -u)" = 0 ]; then echo "runuser -u nobody --"; fi
}
test_expect_success 'server stopped: unavailable; restarted: db_ensure reconnects' '
	stop="$(as_pg) $PG_BINDIR/pg_ctl -D $PGDIR/data -m immediate -w stop >/dev/null 2>&1" &&
	start="$(as_pg) $PG_BINDIR/pg_ctl -D $PGDIR/data -l $PGDIR/log -w -t 60 -o \"$PG_OPTS\" start >/dev/null" &&
	run_tap db-reconnect "$stop" "$start"
'

test_done
