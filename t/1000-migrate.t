#!/bin/sh
# pw db sync: fresh, idempotent, concurrent; refusals; pw db status/check.
# Works with whatever sql/ holds: the expected list of migrations is what
# `pw db status` reports as pending on an empty database.
. "$(dirname "$0")"/lib.sh

test_setup_db --no-sync

MIGRATE_LOCK=8103946054476496897	# DB_LOCK_MIGRATE
URL=$PW_DATABASE_URL

# wait_for QUERY VALUE: poll the race database until QUERY gives VALUE (10 s).
wait_for() {
	local i=0
	while [ "$(sql -d race -c "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { echo "timed out: $1 != $2" >&2; return 1; }
		sleep 0.1
	done
}

migrations() {
	sql -c "SELECT count(*) FROM schema_migrations"
}

test_expect_success 'on an empty database every migration is pending' '
	pw db status >status &&
	cut -f1 status >names &&
	test -s names &&
	cut -f2 status | sort -u >states &&
	echo pending >expect &&
	test_cmp expect states &&
	grep -E "^[0-9]{4}-[a-z0-9_-]+$" names >checked &&
	test_cmp names checked
'

test_expect_success 'pw db check: an empty database needs pw db sync (78)' '
	test_expect_code 78 pw db check 2>err &&
	grep "database needs \`pw db sync\`" err
'

test_expect_success 'sync -n lists the pending ones and applies nothing' '
	pw db sync -n >out &&
	test_cmp names out &&
	test -z "$(sql -c "SELECT to_regclass('"'"'schema_migrations'"'"')")"
'

test_expect_success 'sync applies all, in order, and records them' '
	pw db sync >out &&
	sed "s/^/applied /" names >expect &&
	test_cmp expect out &&
	test "$(migrations)" = "$(wc -l <names)" &&
	sql -c "SELECT version, name, checksum, pw_version FROM schema_migrations ORDER BY version" >rows &&
	awk -F"|" "{ printf \"%04d-%s\n\", \$1, \$2 }" rows >recorded &&
	test_cmp names recorded &&
	! awk -F"|" "length(\$3) != 64 || \$3 !~ /^[0-9a-f]+$/" rows | grep . &&
	cut -d"|" -f4 rows | sort -u >versions &&
	cat "$SRC_DIR/VERSION" >expect &&
	test_cmp expect versions
'

test_expect_success 'pw db status and check agree afterwards' '
	pw db status >status &&
	cut -f1,2 status >got &&
	sed "s/$/	applied/" names >expect &&
	test_cmp expect got &&
	pw db check
'

test_expect_success 'a second sync is a no-op' '
	sql -c "SELECT applied_at FROM schema_migrations ORDER BY version" >before &&
	pw db sync >out &&
	test_must_be_empty out &&
	pw db sync -n >out &&
	test_must_be_empty out &&
	sql -c "SELECT applied_at FROM schema_migrations ORDER BY version" >after &&
	test_cmp before after
'

test_expect_success 'two syncs at once on a fresh database: both succeed, each file once' '
	createdb -h "$PGHOST" -U postgres race &&
	RACE="host=$PGHOST user=postgres dbname=race" &&
	# Hold the lock so that both syncs queue behind it, then let go.
	{ PGAPPNAME=lockholder psql -X -q -d race \
		-c "SELECT pg_advisory_lock($MIGRATE_LOCK)" \
		-c "SELECT pg_sleep(60)" >/dev/null 2>&1 & } &&
	holder=$! &&
	wait_for "SELECT count(*) FROM pg_locks WHERE locktype = '"'"'advisory'"'"' AND granted" 1 &&
	{ pw --database-url "$RACE" db sync >out1 2>err1 & } &&
	p1=$! &&
	{ pw --database-url "$RACE" db sync >out2 2>err2 & } &&
	p2=$! &&
	wait_for "SELECT count(*) FROM pg_locks WHERE locktype = '"'"'advisory'"'"' AND NOT granted" 2 &&
	sql -d race -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"'"'lockholder'"'"'" >/dev/null &&
	wait $p1 && wait $p2 &&
	{ wait $holder || :; } &&
	cat out1 out2 | sort >both &&
	sed "s/^/applied /" names >expect &&
	test_cmp expect both &&
	test "$(sql -d race -c "SELECT count(*) FROM schema_migrations")" = "$(wc -l <names)"
'

test_expect_success 'a schema newer than pw is refused by every program (78)' '
	test_when_finished "sql -c \"DELETE FROM schema_migrations WHERE version = 9999\"" &&
	sql -c "INSERT INTO schema_migrations (version, name, checksum, pw_version) VALUES (9999, '"'"'future'"'"', '"'"'x'"'"', '"'"'9.9'"'"')" &&
	test_expect_code 78 pw db check 2>err &&
	grep "database schema is newer than this pw (version 9999" err &&
	test_expect_code 78 pw db sync 2>err &&
	grep "database schema is newer than this pw" err &&
	test_expect_code 78 pw db sync -n 2>err &&
	grep "newer than this pw" err &&
	pw db status >status &&
	grep "^9999-future	unknown	" status
'

test_expect_success 'an unknown older version is refused' '
	test_when_finished "sql -c \"DELETE FROM schema_migrations WHERE version = 0\"" &&
	sql -c "INSERT INTO schema_migrations (version, name, checksum, pw_version) VALUES (0, '"'"'ghost'"'"', '"'"'x'"'"', '"'"'0.0'"'"')" &&
	test_expect_code 78 pw db sync 2>err &&
	grep "migration 0000-ghost, which this pw does not know" err &&
	test_expect_code 78 pw db check
'

test_expect_success 'a changed migration is refused unless --force' '
	first=$(head -n1 names) &&
	v=$(echo "$first" | sed "s/-.*//") &&
	good=$(sql -c "SELECT checksum FROM schema_migrations WHERE version = $v") &&
	sql -c "UPDATE schema_migrations SET checksum = repeat('"'"'0'"'"', 64) WHERE version = $v" &&
	test_expect_code 78 pw db sync 2>err &&
	grep "migration $first differs" err &&
	pw db status >status &&
	grep "^$first	changed	" status &&
	pw db check &&
	pw db sync --force >out 2>err &&
	grep "accepted (--force)" err &&
	test_must_be_empty out &&
	test "$(sql -c "SELECT checksum FROM schema_migrations WHERE version = $v")" = "$good" &&
	pw db sync
'

if [ "$(wc -l <names)" -ge 2 ]; then
test_expect_success 'a pending migration below an applied one is refused' '
	first=$(head -n1 names) &&
	v=$(echo "$first" | sed "s/-.*//") &&
	sql -c "CREATE TABLE saved AS SELECT * FROM schema_migrations WHERE version = $v" &&
	test_when_finished "sql -c \"INSERT INTO schema_migrations SELECT * FROM saved; DROP TABLE saved\"" &&
	sql -c "DELETE FROM schema_migrations WHERE version = $v" &&
	test_expect_code 78 pw db sync 2>err &&
	grep "out-of-order" err
'
else
	test_skip 'out-of-order migrations' 'needs two migrations in sql/'
fi

test_expect_success 'an unreachable database gives 75' '
	test_expect_code 75 pw --database-url "host=$TRASH/nowhere connect_timeout=2" db sync 2>err &&
	grep "database unreachable" err &&
	test_expect_code 75 pw --database-url "host=$TRASH/nowhere" db check
'

test_expect_success 'usage errors give 64' '
	test_expect_code 64 pw db &&
	test_expect_code 64 pw db frobnicate &&
	test_expect_code 64 pw db sync --bogus &&
	test_expect_code 64 pw db sync extra
'

test_done
