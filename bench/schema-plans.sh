#!/bin/sh
# bench/schema-plans.sh [PATCHES]: fill a throwaway database built from
# sql/0001-initial.sql with PATCHES patches (default 1,000,000) and the
# comments, series, events, checks and journal rows that go with them,
# then print EXPLAIN (ANALYZE, BUFFERS) of the hot queries.  Not part of
# `make check`: the fill takes minutes.  Figures are in docs/schema.md.
#
# The cluster lives under /tmp and is removed at the end (KEEP=1 keeps it
# running and prints how to reach it).  Under root the server runs as
# nobody, as in the tests.
set -eu

N=${1:-1000000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
	[ -x "$d/initdb" ] && { BIN=$d; break; }
done
[ -n "$BIN" ] || { echo "no PostgreSQL server binaries" >&2; exit 1; }

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

DIR=$(mktemp -d /tmp/pwbench.XXXXXX)
chmod 755 "$DIR"
mkdir "$DIR/sock"
[ "$(id -u)" = 0 ] && chown -R nobody "$DIR"
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept: PGHOST=$DIR/sock PGUSER=postgres psql bench;" \
			"stop with: $BIN/pg_ctl -D $DIR/data stop" >&2
		return
	fi
	as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || :
	rm -rf "$DIR"
}
trap cleanup EXIT

as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 \
	--locale=C.UTF-8 --no-sync >/dev/null
# A modest production-like setup: shared_buffers a quarter of a small
# server, durability off only to make the fill quicker.
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-c listen_addresses='' \
	-c unix_socket_directories='$DIR/sock' -c fsync=off \
	-c synchronous_commit=off -c full_page_writes=off \
	-c shared_buffers=1GB -c effective_cache_size=4GB \
	-c maintenance_work_mem=1GB -c work_mem=16MB -c max_wal_size=8GB \
	-c random_page_cost=1.1 -c jit=off" start >/dev/null

export PGHOST="$DIR/sock" PGUSER=postgres PGDATABASE=bench
"$BIN/createdb" bench
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

q -1 -f "$SRC/sql/0001-initial.sql" >/dev/null

echo "== fill: $N patches"
START=$(date +%s)
q -v n="$N" <<'EOF'
-- Bulk loading is faster without the secondary indexes: keep their
-- definitions, drop them, and build them again after the load.
CREATE TEMP TABLE saved_idx AS
	SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
	  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
	 WHERE t.relname IN ('patch', 'event', 'patch_comment', 'ci_check', 'mail', 'series')
	   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT format('DROP INDEX %s', name) FROM saved_idx \gexec

INSERT INTO auth_user (username, email)
	SELECT 'user' || i, 'user' || i || '@example.org' FROM generate_series(1, 60) i;
INSERT INTO project (linkname, name, listid, listemail)
	SELECT 'proj' || i, 'Project ' || i, 'proj' || i || '.example.org',
		'proj' || i || '@example.org' FROM generate_series(1, 20) i;
INSERT INTO project_maintainer SELECT 1 + i % 20, i FROM generate_series(1, 50) i;
INSERT INTO person (email, name)
	SELECT 'dev' || i || '@example.org', 'Developer ' || i FROM generate_series(1, 30000) i;

-- 10,000 distinct message bodies and diffs drawn from a skewed
-- 5,000-word vocabulary; each patch takes one of each.
CREATE TEMP TABLE snip AS
SELECT s,
	(SELECT string_agg('w' || floor(5000 * random() ^ 3)::int, ' ')
	   FROM generate_series(1, 40) WHERE s >= 0)
	|| E'\n\nSigned-off-by: Developer <dev@example.org>\n' AS msg,
	'diff --git a/drivers/net/f' || s || '.c b/drivers/net/f' || s || E'.c\n'
	|| E'--- a/drivers/net/f' || s || E'.c\n+++ b/drivers/net/f' || s || E'.c\n@@ -1,20 +1,20 @@\n'
	|| (SELECT string_agg('+' || 'w' || floor(5000 * random() ^ 2)::int || ' = w'
		|| floor(5000 * random() ^ 2)::int || '(x, y);', E'\n')
	   FROM generate_series(1, 20) WHERE s >= 0) || E'\n' AS diff
FROM generate_series(0, 9999) s;

-- Series of three patches; the project follows the series, skewed so
-- that project 1 holds about 40 % of everything.
CREATE TEMP TABLE ser AS
SELECT s, CASE WHEN h < 40 THEN 1 WHEN h < 60 THEN 2 WHEN h < 70 THEN 3
		ELSE 4 + h % 17 END AS project_id,
	1 + abs(hashint4(s * 7)) % 30000 AS submitter_id
FROM (SELECT s, abs(hashint4(s)) % 100 AS h
	FROM generate_series(0, (:n - 1) / 3) s) x;

INSERT INTO cover (id, project_id, msgid, date, name, submitter_id, headers, content)
SELECT s + 1, project_id, '<c' || s || '@example.org>',
	timestamptz '2015-01-01' + s * 3 * interval '300 seconds',
	'[PATCH 0/3] cover ' || s, submitter_id, 'From: x', 'cover letter ' || s
FROM ser WHERE s % 3 = 0;

INSERT INTO series (id, project_id, date, submitter_id, version, total, name, cover_letter_id)
SELECT s + 1, project_id, timestamptz '2015-01-01' + s * 3 * interval '300 seconds',
	submitter_id, 1, 3, 'series ' || s, CASE WHEN s % 3 = 0 THEN s + 1 END
FROM ser;

INSERT INTO series_reference (project_id, series_id, msgid)
SELECT project_id, s + 1, '<p' || (s * 3) || '@example.org>' FROM ser
UNION ALL
SELECT project_id, s + 1, '<c' || s || '@example.org>' FROM ser WHERE s % 3 = 0;

-- Old patches are mostly archived and settled; the newest tenth is the
-- live queue.
INSERT INTO patch (id, project_id, msgid, date, name, submitter_id, state_id,
	delegate_id, archived, series_id, number, headers, content, diff, hash)
SELECT i + 1, ser.project_id, '<p' || i || '@example.org>',
	timestamptz '2015-01-01' + i * interval '300 seconds',
	'[' || (i % 3 + 1) || '/3] subsys: change w' || (i % 5000) || ' number ' || i,
	ser.submitter_id,
	CASE WHEN i < :n * 0.9 THEN
		CASE WHEN h < 50 THEN 3 WHEN h < 70 THEN 9 WHEN h < 85 THEN 7
			WHEN h < 95 THEN 4 ELSE 1 END
	ELSE
		CASE WHEN h < 50 THEN 1 WHEN h < 70 THEN 2 WHEN h < 85 THEN 7
			WHEN h < 95 THEN 3 ELSE 9 END
	END,
	CASE WHEN h % 10 < 3 THEN 1 + h % 50 END,
	i < :n * 0.9 AND h % 10 <> 0,
	i / 3 + 1, i % 3 + 1,
	'From: Developer <dev@example.org>' || E'\nSubject: [PATCH] x\nMessage-Id: <p' || i || '@example.org>',
	snip.msg, snip.diff, md5(i::text) || lpad(to_hex(i % 65536), 8, '0')
FROM (SELECT i, abs(hashint4(i + 17)) % 100 AS h FROM generate_series(0, :n - 1) i) x
JOIN ser ON ser.s = i / 3
JOIN snip ON snip.s = i % 10000;

INSERT INTO patch_comment (patch_id, msgid, date, submitter_id, headers, content)
SELECT p.id, '<r' || p.id || '@example.org>', p.date + interval '1 day',
	1 + p.id % 30000, 'From: x', 'Reviewed-by: Developer <dev@example.org>'
FROM patch p;

INSERT INTO patch_tag SELECT id, 2, 1 FROM patch;

INSERT INTO ci_check (patch_id, user_id, date, state, context, target_url)
SELECT p.id, 51 + c % 3, p.date + c * interval '1 minute', (p.id + c) % 4,
	'ctx' || c, 'https://ci.example.org/' || p.id || '/' || c
FROM patch p, generate_series(0, 2) c WHERE p.id % 2 = 0;

INSERT INTO event (category, project_id, date, patch_id, series_id)
SELECT 'patch-created', project_id, date, id, series_id FROM patch
UNION ALL
SELECT 'series-created', project_id, date, NULL, id FROM series
UNION ALL
SELECT 'series-completed', project_id, date + interval '10 minutes', NULL, id FROM series;

INSERT INTO event (category, project_id, date, patch_id, created_check_id, actor_id)
SELECT 'check-created', p.project_id, c.date, c.patch_id, c.id, c.user_id
FROM ci_check c JOIN patch p ON p.id = c.patch_id;

-- The journal: one row per patch mail (most of them long pruned), a
-- few thousand failures, and the raw bytes of the newest 20,000.
INSERT INTO mail (received_at, sha256, size, msgid, project_id, status, reason, patch_id, raw)
SELECT p.date, sha256(p.msgid::bytea), 6000, p.msgid, p.project_id,
	CASE WHEN p.id % 500 = 0 THEN 'failed' ELSE 'stored' END,
	CASE WHEN p.id % 500 = 0 THEN 'bench failure' END,
	p.id,
	CASE WHEN p.id > :n - 20000 THEN
		convert_to(repeat(E'Received: from mx.example.org (mx.example.org [192.0.2.1])\n\tby lists.example.org (Postfix) with ESMTPS id ' || p.id || E'\n', 12)
			|| p.headers || E'\n\n' || p.content || E'\n---\n'
			|| repeat(p.diff, 4), 'UTF8') END
FROM patch p;

SELECT setval(pg_get_serial_sequence('patch', 'id'), (SELECT max(id) FROM patch));
SELECT setval(pg_get_serial_sequence('cover', 'id'), (SELECT max(id) FROM cover));
SELECT setval(pg_get_serial_sequence('series', 'id'), (SELECT max(id) FROM series));

SELECT def FROM saved_idx \gexec
-- what `pw cron --all` computes (sql/0003-search.sql)
INSERT INTO patch_search (patch_id, vec)
SELECT id, patch_fts(name, content, diff) FROM patch;
INSERT INTO cover_search (cover_id, vec)
SELECT id, cover_fts(name, content) FROM cover;
VACUUM (ANALYZE);
CHECKPOINT;
EOF
echo "fill took $(( $(date +%s) - START )) s"

echo "== sizes"
q <<'EOF'
SELECT c.relname AS table, c.reltuples::bigint AS rows,
	pg_size_pretty(pg_table_size(c.oid)) AS heap_toast,
	pg_size_pretty(pg_indexes_size(c.oid)) AS indexes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples > 0
 ORDER BY pg_total_relation_size(c.oid) DESC;
SELECT indexrelid::regclass AS patch_index, pg_size_pretty(pg_relation_size(indexrelid)) AS size
  FROM pg_index WHERE indrelid = 'patch'::regclass ORDER BY pg_relation_size(indexrelid) DESC;
SELECT count(*) AS raw_mails, pg_size_pretty(sum(octet_length(raw))) AS raw_bytes,
	pg_size_pretty(sum(pg_column_size(raw))) AS stored_lz4,
	min(pg_column_compression(raw)) AS method
  FROM mail WHERE raw IS NOT NULL;
EOF

# Each query runs once to warm the cache, then under EXPLAIN ANALYZE.
explain() {
	printf '\n== %s\n' "$1"
	q -c "$2" >/dev/null
	q -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2"
}

explain 'default patch list, first page (ids by index-only scan, then rows)' "
SELECT p.id, p.name, p.date, p.state_id, p.delegate_id, s.name AS series, pe.name AS submitter
  FROM (SELECT id FROM patch
	 WHERE project_id = 1 AND NOT archived AND state_id IN (1, 2)
	 ORDER BY date DESC, id DESC LIMIT 100) page
  JOIN patch p ON p.id = page.id
  LEFT JOIN series s ON s.id = p.series_id
  JOIN person pe ON pe.id = p.submitter_id
 ORDER BY p.date DESC, p.id DESC"

explain 'default patch list, count' "
SELECT count(*) FROM patch WHERE project_id = 1 AND NOT archived AND state_id IN (1, 2)"

# The 51st page of 100, or the middle of the list on a small fill.
OFF=$(q -A -t -c "SELECT least(5000, count(*) / 2) FROM patch WHERE project_id = 1
	AND NOT archived AND state_id IN (1, 2)")
KEY=$(q -A -t -c "SELECT date || '|' || id FROM patch WHERE project_id = 1 AND NOT archived
	AND state_id IN (1, 2) ORDER BY date DESC, id DESC OFFSET $OFF LIMIT 1")
explain "default patch list, deep page (row $OFF) by keyset (date, id)" "
SELECT id FROM patch WHERE project_id = 1 AND NOT archived AND state_id IN (1, 2)
   AND (date, id) < ('${KEY%|*}', ${KEY#*|})
 ORDER BY date DESC, id DESC LIMIT 100"

explain "default patch list, deep page (row $OFF) by OFFSET, for comparison" "
SELECT id FROM patch WHERE project_id = 1 AND NOT archived AND state_id IN (1, 2)
 ORDER BY date DESC, id DESC OFFSET $OFF LIMIT 100"

explain 'state=Accepted, any archive, newest first' "
SELECT id, name FROM patch WHERE project_id = 2 AND state_id = 3
 ORDER BY date DESC, id DESC LIMIT 100"

explain 'API: patches of a project, archived=both, order=-date' "
SELECT id, name FROM patch WHERE project_id = 1 ORDER BY date DESC, id DESC LIMIT 30"

explain 'API: patches of a project, default order id, keyset' "
SELECT id, name FROM patch WHERE project_id = 5 AND id > 500000 ORDER BY id LIMIT 30"

explain 'todo list of a delegate' "
SELECT id, name FROM patch WHERE delegate_id = 3 AND project_id = 1 AND NOT archived
   AND state_id IN (1, 2) ORDER BY date DESC, id DESC LIMIT 100"

explain 'todo counts per project (navbar badge)' "
SELECT project_id, count(*) FROM patch WHERE delegate_id = 3 AND NOT archived
   AND state_id IN (1, 2) GROUP BY project_id"

explain 'ingest: message-id in a project' "
SELECT id FROM patch WHERE project_id = 1 AND msgid = '<p123456@example.org>'"

explain 'message-id in any project (Depends-on:, ?msgid=)' "
SELECT id, project_id FROM patch WHERE msgid = '<p123456@example.org>'"

explain 'ingest: series by references' "
SELECT series_id FROM series_reference WHERE project_id = 1
   AND msgid = ANY('{<p900000@example.org>,<p899997@example.org>,<c299999@example.org>}')"

explain 'ingest: parent of a reply by comment msgid' "
SELECT c.patch_id FROM patch_comment c JOIN patch p ON p.id = c.patch_id
 WHERE c.msgid = '<r4242@example.org>' AND p.project_id = 1"

explain 'events of a project, newest first' "
SELECT id, category, date FROM event WHERE project_id = 1 ORDER BY date DESC, id DESC LIMIT 30"

explain 'CI poll: series-completed since a date' "
SELECT id, series_id, date FROM event WHERE project_id = 1 AND category = 'series-completed'
   AND date >= timestamptz '2024-01-01' ORDER BY date DESC, id DESC LIMIT 30"

explain 'full-text search (rare word), newest 30' "
SELECT p.id, p.name FROM patch_search s JOIN patch p ON p.id = s.patch_id
 WHERE s.vec @@ websearch_to_tsquery('english', 'w4321') ORDER BY p.date DESC LIMIT 30"

explain 'full-text search (two words), count' "
SELECT count(*) FROM patch_search WHERE vec @@ websearch_to_tsquery('english', 'w4321 w1234')"

explain 'q= substring of the name in a project' "
SELECT id, name FROM patch WHERE project_id = 2 AND NOT archived AND name ILIKE '%number 98765%'
 ORDER BY date DESC LIMIT 100"

explain 'patch by hash' "
SELECT id FROM patch WHERE hash = md5('777777') || lpad(to_hex(777777 % 65536), 8, '0')"

explain 'newest check per (user, context) for a page of 100 patches' "
SELECT DISTINCT ON (patch_id, context, user_id) patch_id, context, user_id, state
  FROM ci_check WHERE patch_id = ANY(ARRAY(SELECT generate_series(800000, 800198, 2)::bigint))
 ORDER BY patch_id, context, user_id, date DESC, id DESC"

explain 'tag counts for a page of 100 patches' "
SELECT patch_id, tag_id, count FROM patch_tag
 WHERE patch_id = ANY(ARRAY(SELECT generate_series(800000, 800099)::bigint))"

explain 'comments of a patch' "
SELECT id, date, content FROM patch_comment WHERE patch_id = 4242 ORDER BY date, id"

explain 'patch detail with its series siblings' "
SELECT p.id, p.name, p.number FROM patch p
 WHERE p.series_id = (SELECT series_id FROM patch WHERE id = 4242) ORDER BY number"

explain 'admin: failed mails, oldest first' "
SELECT id, received_at, msgid, reason FROM mail WHERE status = 'failed'
 ORDER BY received_at LIMIT 50"

# Not warmed up: the first run would delete.
DEL=$(q -A -t -c "SELECT count(*) FROM patch WHERE project_id = 7")
printf '\n== delete a project with %s patches (cascades through everything)\n' "$DEL"
q -c "EXPLAIN (ANALYZE, COSTS OFF) DELETE FROM project WHERE id = 7"
