#!/bin/sh
# pw cron: the search indexer (new, changed and deleted rows, batches, the
# watermark), journal pruning, and the lock that keeps runs apart.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org

# Words of a patch or cover, as the search finds them.
found() {
	sql -c "SELECT p.msgid FROM patch_search s JOIN patch p ON p.id = s.patch_id
		WHERE s.vec @@ websearch_to_tsquery('english', '$1')
		UNION ALL SELECT c.msgid FROM cover_search s JOIN cover c ON c.id = s.cover_id
		WHERE s.vec @@ websearch_to_tsquery('english', '$1') ORDER BY 1"
}

# The vectors, as text: a dump to compare runs by.
vectors() {
	sql -c "SELECT 'p', patch_id, vec::text FROM patch_search UNION ALL
		SELECT 'c', cover_id, vec::text FROM cover_search ORDER BY 1, 2"
}

# n generated patches named "gen N" (ingest would be slower to the same end).
gen_patches() {
	sql -c "INSERT INTO patch (project_id, msgid, date, name, submitter_id,
		state_id, headers, content)
		SELECT (SELECT id FROM project), '<gen-$1-' || i || '@x>', now(),
		'gen ' || i, (SELECT min(id) FROM person), (SELECT min(id) FROM state),
		'', 'generated' FROM generate_series(1, $2) i"
}

# A psql session kept open on fd 3, fed through a fifo: session_open,
# session 'SQL;', session_close.
session_open() {
	mkfifo fifo && { psql -X -q -v ON_ERROR_STOP=1 <fifo >session.out 2>&1 & } &&
	exec 3>fifo && rm fifo
}
session() {
	printf '%s\n' "$1" >&3
}
session_close() {
	exec 3>&- && wait
}
# Wait until the session has run what it was given.
session_idle() {
	local i=0
	while [ $i -lt 100 ]; do
		test "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE
			application_name = 'psql' AND state LIKE 'idle%' AND
			pid <> pg_backend_pid()")" = 1 && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

test_expect_success 'setup: a series with a cover; ingest writes no vectors' '
	mkdir m &&
	mkmail series m s 2 --cover &&
	for f in m/*; do deliver $f || return 1; done &&
	test "$(count patch)" = 2 && test "$(count cover)" = 1 &&
	test "$(count patch_search)" = 0 && test "$(count cover_search)" = 0
'

test_expect_success 'a run indexes the new patches and covers' '
	pw cron -v >out &&
	test_grep "^search: 2 new patches, 1 new covers, 0 changed" out &&
	test "$(count patch_search)" = 2 && test "$(count cover_search)" = 1 &&
	sql -c "SELECT name FROM patch WHERE id = (SELECT min(id) FROM patch)" >name &&
	word=$(tr -c "[:alnum:]\n" " " <name | tr " " "\n" | awk "length > 4" | tail -1) &&
	test -n "$word" &&
	found "$word" >actual &&
	test -s actual
'

test_expect_success 'a second run changes nothing (idempotent)' '
	vectors >before &&
	pw cron -v >out &&
	test_grep "^search: 0 new patches, 0 new covers, 0 changed" out &&
	vectors >after &&
	test_cmp before after
'

test_expect_success 'a changed name or text is indexed again; other updates are not queued' '
	sql -c "UPDATE patch SET name = '"'"'zebracrossing'"'"' WHERE id = (SELECT min(id) FROM patch)" &&
	sql -c "UPDATE cover SET content = '"'"'quagga herd'"'"'" &&
	sql -c "UPDATE patch SET archived = true" &&
	test "$(count search_queue)" = 2 &&
	test -z "$(found zebracrossing)" &&
	pw cron -v >out &&
	test_grep "0 new covers, 2 changed" out &&
	test "$(count search_queue)" = 0 &&
	test "$(found zebracrossing)" = "<s-1@example.org>" &&
	test "$(found quagga)" = "<s-0@example.org>"
'

test_expect_success 'a deleted patch or cover loses its vector' '
	sql -c "DELETE FROM patch WHERE name = '"'"'zebracrossing'"'"'" &&
	sql -c "DELETE FROM cover" &&
	test "$(count patch_search)" = 1 && test "$(count cover_search)" = 0 &&
	pw cron &&
	test "$(count patch_search)" = 1
'

test_expect_success 'batches: at most --batch-size rows per transaction, a bounded run' '
	gen_patches a 45 &&
	pw cron -v --task search --batch-size 2 >out &&
	test_grep "^search: 40 new patches, 0 new covers, 0 changed, in 21 batches; more to do" out &&
	test "$(sql -c "SELECT max(n) FROM (SELECT count(*) AS n FROM patch_search
		GROUP BY xmin) x")" = 2 &&
	pw cron -v --task search --batch-size 2 --all >out &&
	test_grep "^search: 5 new patches" out &&
	test "$(count patch_search)" = "$(count patch)"
'

test_expect_success 'the watermark waits for transactions that may still commit lower ids' '
	session_open &&
	session "BEGIN;" &&
	session "INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
		SELECT (SELECT id FROM project), '"'"'<late@x>'"'"', now(), '"'"'late arrival'"'"',
		(SELECT min(id) FROM person), (SELECT min(id) FROM state), '"'"''"'"';" &&
	session_idle &&
	gen_patches b 3 &&
	pw cron &&
	sql -c "UPDATE search_state SET seen_at = seen_at - interval '"'"'2 minutes'"'"'" &&
	pw cron &&
	sql -c "UPDATE search_state SET seen_at = seen_at - interval '"'"'2 minutes'"'"'" &&
	pw cron &&
	session "COMMIT;" && session_close &&
	late=$(sql -c "SELECT id FROM patch WHERE msgid = '"'"'<late@x>'"'"'") &&
	test "$(sql -c "SELECT done_id < $late FROM search_state WHERE kind = '"'"'patch'"'"'")" = t &&
	test -z "$(found arrival)" &&
	pw cron &&
	test "$(found arrival)" = "<late@x>" &&
	sql -c "UPDATE search_state SET seen_at = seen_at - interval '"'"'2 minutes'"'"'" &&
	pw cron && pw cron &&
	sql -c "UPDATE search_state SET seen_at = seen_at - interval '"'"'2 minutes'"'"'" &&
	pw cron &&
	test "$(sql -c "SELECT done_id FROM search_state WHERE kind = '"'"'patch'"'"'")" = \
		"$(sql -c "SELECT max(id) FROM patch")"
'

test_expect_success 'journal: no_project entries beyond ingress.unmatched_max_age' '
	mkmail --msgid old@x --list gone.example.org >old &&
	mkmail --msgid new@x --list gone.example.org >new &&
	deliver old && deliver new &&
	sql -c "UPDATE mail SET received_at = now() - interval '"'"'40 days'"'"' WHERE msgid = '"'"'<old@x>'"'"'" &&
	pw cron -v --task journal >out &&
	test "$(cat out)" = "journal: pruned 1 no_project entries older than 30 days" &&
	test "$(count mail "msgid = '"'"'<old@x>'"'"'")" = 0 &&
	test "$(count mail "msgid = '"'"'<new@x>'"'"'")" = 1 &&
	test "$(count mail "status = '"'"'stored'"'"'")" = 3
'

test_expect_success 'the lock: a run while another holds it does nothing, exit 0' '
	gen_patches c 2 &&
	session_open &&
	session "SELECT pg_advisory_lock(8103946054476496898);" &&
	session_idle &&
	pw cron -v >out 2>err &&
	test_must_be_empty out &&
	test_grep "another pw cron is running" err &&
	test "$(count patch_search "patch_id IN (SELECT id FROM patch WHERE msgid LIKE '"'"'<gen-c-%'"'"')")" = 0 &&
	session_close &&
	pw cron &&
	test "$(count patch_search "patch_id IN (SELECT id FROM patch WHERE msgid LIKE '"'"'<gen-c-%'"'"')")" = 2
'

test_expect_success 'usage: unknown task or option (64); --list' '
	test_expect_code 64 pw cron --task nonsense &&
	test_expect_code 64 pw cron --batch-size 0 &&
	test_expect_code 64 pw cron extra &&
	pw cron --list >out &&
	cut -f1 out >names &&
	printf "search\njournal\n" >expect &&
	test_cmp expect names
'

test_done
