#!/bin/sh
# When the mail cannot be recorded now, pw ingress exits 75 and leaves
# nothing behind, so that postfix retries; the retry then succeeds.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org
pid=$(sql -c "SELECT id FROM project WHERE linkname = 'test'")
lockkey=$((0x7077010000000000 | pid))

mkdir s && mkmail series s ser 2 --cover

# End the sessions that hold advisory locks (a killed psql would leave its
# backend asleep, holding the lock).
release_locks() {
	sql -c "SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND pid <> pg_backend_pid()" >/dev/null
}

test_expect_success 'a lock timeout is a temporary failure (75)' '
	cat >short.conf <<-\EOF &&
	database {
		lock_timeout = 300
	}
	EOF
	{ psql -X -q -c "SELECT pg_advisory_lock($lockkey)" -c "SELECT pg_sleep(10)" >/dev/null 2>&1 & } &&
	holder=$! &&
	test_when_finished "release_locks; wait $holder; true" &&
	while test "$(sql -c "SELECT count(*) FROM pg_locks WHERE locktype = '"'"'advisory'"'"' AND granted")" = 0; do
		sleep 0.05
	done &&
	test_expect_code 75 pw -c short.conf ingress <s/ser-01 2>err &&
	test $(wc -l <err) = 1 &&
	test_grep "temporary failure" err &&
	test "$(count mail)" = 0 &&
	test "$(count patch)" = 0
'

test_expect_success 'database stopped mid-delivery: 75, nothing half-written' '
	deliver s/ser-00 &&
	before=$(dump_all; count mail; count person) &&
	{ psql -X -q -c "SELECT pg_advisory_lock($lockkey)" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 & } &&
	holder=$! &&
	while test "$(sql -c "SELECT count(*) FROM pg_locks WHERE locktype = '"'"'advisory'"'"' AND granted")" = 0; do
		sleep 0.05
	done &&
	{ { pw ingress <s/ser-01 2>err; echo $? >rc; } & } &&
	ingress=$! &&
	while test "$(sql -c "SELECT count(*) FROM pg_locks WHERE locktype = '"'"'advisory'"'"' AND NOT granted")" = 0; do
		sleep 0.05
	done &&
	test_stop_db &&
	{ wait $ingress; wait $holder; true; } &&
	test "$(cat rc)" = 75 &&
	test $(wc -l <err) = 1 &&
	test_start_db &&
	test "$before" = "$(dump_all; count mail; count person)"
'

test_expect_success 'database down: 75; after the restart the retry stores it' '
	test_stop_db &&
	test_expect_code 75 pw ingress <s/ser-01 2>err &&
	test $(wc -l <err) = 1 &&
	test_grep "try again later" err &&
	test_start_db &&
	deliver s/ser-01 &&
	deliver s/ser-02 &&
	cat >expect <<-\EOF &&
	<ser-0@example.org>|ser series|1|2|2|1,2
	EOF
	dump_series >actual &&
	test_cmp expect actual &&
	test "$(count mail)" = 3 &&
	test "$(sql -c "SELECT max(attempts) FROM mail")" = 1
'

test_expect_success 'a schema the program does not know: 75 as well' '
	sql -c "UPDATE schema_migrations SET version = version + 1000" 2>/dev/null ||
	sql -c "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '"'"'future'"'"', '"'"'x'"'"')" &&
	test_when_finished "pw db sync --force >/dev/null 2>&1; true" &&
	test_expect_code 75 pw ingress <s/ser-01
'

test_done
