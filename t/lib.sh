# t/lib.sh: the test library.  Source it from t/NNNN-what.t:
#
#	. "$(dirname "$0")"/lib.sh
#	test_expect_success 'title' 'cmd && cmd'
#	test_done
#
# Each script gets its own trash directory ($TRASH, the cwd while the
# test bodies run), removed on success and kept on failure.  The plan is
# printed at the end, so nobody counts tests by hand.
#
# Programs under test come from $PW_BUILD/bin (set by `make check`; a
# plain `prove t/` uses build/).  $SHARED is ../shared beside the
# repository, or empty when it is not there: tests that need it call
# test_need_shared FILE, which skips the whole script with a reason.

set -u
TEST_NAME=$(basename "$0" .t)
T_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$T_DIR/.." && pwd)
: "${PW_BUILD:=$SRC_DIR/build}"
PW_BIN=$PW_BUILD/bin
export PW_BUILD PW_BIN SRC_DIR
PATH=$PW_BIN:$PATH
export PATH
SHARED=
[ -d "$SRC_DIR/../shared" ] && SHARED=$(cd "$SRC_DIR/../shared" && pwd)
export SHARED

# Sanitizers: fail hard, and keep glib's and libpq's one-time allocations
# out of the leak report.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:exitcode=99}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$T_DIR/lsan.supp:print_suppressions=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

# Tests must not pick up a real site's configuration.
unset PW_DATABASE_URL
PW_CONFIG=/dev/null
export PW_CONFIG
LC_ALL=C.UTF-8
TZ=UTC
export LC_ALL TZ

test_count=0
test_failed=0
test_cleanup=
_test_exit_hooks=

TRASH=$T_DIR/trash.$TEST_NAME
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1

say() { printf '# %s\n' "$*"; }

# Run at the end of the script (in reverse order), whatever happens.
test_atexit() {
	_test_exit_hooks="$1
$_test_exit_hooks"
}

_test_run_exit_hooks() {
	local IFS='
'
	for h in $_test_exit_hooks; do
		eval "$h" >/dev/null 2>&1 || true
	done
	_test_exit_hooks=
}
trap '_test_run_exit_hooks' EXIT
trap 'exit 130' INT TERM

# Run after the current test body, pass or fail.
test_when_finished() {
	test_cleanup="{ $*
	} && (exit \"\$eval_ret\"); eval_ret=\$?; $test_cleanup"
}

_test_eval() {
	test_cleanup=:
	eval "$1" >"$TRASH/.out" 2>&1 </dev/null
	eval_ret=$?
	eval "$test_cleanup"
	return $eval_ret
}

_test_show_output() {
	sed -e 's/^/#    /' "$TRASH/.out" | tail -n 60
}

test_expect_success() {
	test_count=$((test_count + 1))
	if _test_eval "$2"; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		printf '#  body:\n%s\n' "$2" | sed -e '2,$s/^/#    /'
		_test_show_output
	fi
}

test_expect_failure() {
	test_count=$((test_count + 1))
	if _test_eval "$2"; then
		echo "ok $test_count - $1 # TODO known breakage vanished"
	else
		echo "not ok $test_count - $1 # TODO known breakage"
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # skip $1 ($2)"
}

skip_all() {
	echo "1..0 # SKIP $*"
	cd "$T_DIR" && rm -rf "$TRASH"
	exit 0
}

test_need_shared() {
	[ -n "$SHARED" ] && [ -e "$SHARED/$1" ] ||
		skip_all "needs ../shared/$1, which is absent"
}

test_need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip_all "needs $1"
}

test_done() {
	echo "1..$test_count"
	_test_run_exit_hooks
	cd "$T_DIR" || exit 1
	if [ "$test_failed" = 0 ]; then
		rm -rf "$TRASH"
		exit 0
	fi
	say "failed $test_failed of $test_count; trash kept in $TRASH"
	exit 1
}

# Assertions ----------------------------------------------------------

test_cmp() {
	diff -u "$1" "$2"
}

# test_expect_code N cmd...: cmd must exit N.
test_expect_code() {
	local want=$1 got
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit $want, got $got: $*" >&2
		return 1
	fi
}

test_grep() {
	if ! grep "$@"; then
		echo "no match: grep $*" >&2
		return 1
	fi
}

test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

# A private PostgreSQL ------------------------------------------------

pg_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
	return 1
}

# PostgreSQL refuses to run as root: then the cluster belongs to nobody.
_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

# test_setup_db [--no-sync]: start a throwaway cluster on a unix socket
# under /tmp (short path; traversable by nobody), export PGHOST, PGDATABASE
# and PW_DATABASE_URL, apply the migrations with `pw db sync`, and stop the
# server when the script ends.  initdb runs once per build (a template
# copied per script), which keeps the suite fast.
test_setup_db() {
	local bindir tmpl
	bindir=$(pg_bindir) || skip_all "no PostgreSQL server binaries"
	PG_BINDIR=$bindir
	# Under /tmp, not the build tree: when root, nobody must be able to
	# reach it, and the clone may sit below a directory it cannot enter.
	tmpl=/tmp/pwt-template-$(id -u)-$(basename "$(dirname "$bindir")")
	(
		flock 9
		if [ ! -f "$tmpl/PG_VERSION" ]; then
			rm -rf "$tmpl.tmp" && mkdir -p "$tmpl.tmp" &&
			chmod 755 "$tmpl.tmp" &&
			if [ "$(id -u)" = 0 ]; then chown nobody "$tmpl.tmp"; fi &&
			_pg_as "$bindir/initdb" -D "$tmpl.tmp" -A trust -U postgres \
				-E UTF8 --locale=C.UTF-8 --no-sync >/dev/null &&
			mv "$tmpl.tmp" "$tmpl"
		fi
	) 9>"$tmpl.lock" || { echo "Bail out! initdb failed"; exit 1; }
	PGDIR=$(mktemp -d /tmp/pwt.XXXXXX)
	chmod 755 "$PGDIR"
	cp -a "$tmpl" "$PGDIR/data"
	mkdir "$PGDIR/sock"
	if [ "$(id -u)" = 0 ]; then chown -R nobody "$PGDIR"; fi
	test_atexit "test_stop_db; rm -rf '$PGDIR'"
	PG_OPTS="-c listen_addresses='' -c unix_socket_directories='$PGDIR/sock' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB"
	_pg_as "$bindir/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
		-o "$PG_OPTS" start >/dev/null || { cat "$PGDIR/log"; echo "Bail out! postgres did not start"; exit 1; }
	PGHOST=$PGDIR/sock
	PGUSER=postgres
	PGDATABASE=patchwork
	export PGHOST PGUSER PGDATABASE
	PW_DATABASE_URL="host=$PGHOST user=postgres dbname=patchwork"
	export PW_DATABASE_URL
	"$bindir/createdb" -h "$PGHOST" -U postgres patchwork ||
		{ echo "Bail out! createdb failed"; exit 1; }
	if [ "${1:-}" != --no-sync ]; then
		pw db sync >/dev/null || { echo "Bail out! pw db sync failed"; exit 1; }
	fi
}

test_stop_db() {
	[ -n "${PGDIR:-}" ] && [ -d "$PGDIR/data" ] || return 0
	# synchronous_commit is off and the stop is immediate: without a
	# checkpoint, commits the WAL writer has not written yet (seconds
	# of them on a loaded machine) would be lost.
	sql -c CHECKPOINT >/dev/null 2>&1
	_pg_as "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1
}

test_start_db() {
	_pg_as "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
		-o "$PG_OPTS" start >/dev/null
}

# psql against the test database, quiet, failing on the first error.
sql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}
