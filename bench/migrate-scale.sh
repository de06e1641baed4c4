#!/bin/sh
# bench/migrate-scale.sh [PATCHES]: time `pw db export` and `pw db import`
# on a synthetic Django Patchwork 0046 database (default 1,000,000
# patches), and measure the peak memory of both.  Not part of `make check`.
#
# It starts a private PostgreSQL on a unix socket under a temporary
# directory (as `nobody` when run as root), builds the Django side from
# t/data/django/0046-small.sql plus rows made with generate_series, and
# prints one line per step.  Programs come from $PW_BUILD/bin (default
# build/).  Keep the export file with KEEP=1.
#
# Rows for N patches: N/4 series (4 patches each) with N/4 series
# references, N/2 patch comments, N patch-created events plus N/4
# check-created, N/4 checks, N/4 tag counts, 10,000 people.  Each patch
# carries about 0.8 KB of headers, 0.5 KB of message and 1 KB of diff.
set -eu

N=${1:-1000000}
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
: "${PW_BUILD:=$SRC_DIR/build}"
PATH=$PW_BUILD/bin:$PATH
export PATH
for p in pw pw-db; do
	[ -x "$PW_BUILD/bin/$p" ] || { echo "build first: make" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

BIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
	[ -x "$d/initdb" ] && { BIN=$d; break; }
done
[ -n "$BIN" ] || { echo "no PostgreSQL server binaries" >&2; exit 1; }

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

W=$(mktemp -d /tmp/pw-bench.XXXXXX)
chmod 755 "$W"
mkdir "$W/sock"
[ "$(id -u)" = 0 ] && chown -R nobody "$W"
cleanup() {
	as_pg "$BIN/pg_ctl" -D "$W/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

as_pg "$BIN/initdb" -D "$W/data" -A trust -U postgres -E UTF8 \
	--locale=C.UTF-8 --no-sync >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/data" -l "$W/log" -w -t 60 -o "-c listen_addresses='' \
	-c unix_socket_directories='$W/sock' -c fsync=off \
	-c synchronous_commit=off -c full_page_writes=off \
	-c shared_buffers=512MB -c maintenance_work_mem=512MB \
	-c max_wal_size=8GB -c checkpoint_timeout=30min \
	-c log_min_duration_statement=5000" start >/dev/null

PGHOST=$W/sock PGUSER=postgres
export PGHOST PGUSER
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
"$BIN/createdb" django
"$BIN/createdb" patchwork
OLD="host=$PGHOST user=postgres dbname=django"
PW_DATABASE_URL="host=$PGHOST user=postgres dbname=patchwork"
PW_CONFIG=/dev/null
export PW_DATABASE_URL PW_CONFIG

now() { date +%s.%N; }

# cpu_of APP FILE: until the backend of application_name APP goes away,
# keep writing its CPU seconds (user + system) to FILE: the server's
# share of the work, which does not depend on what else the machine runs.
cpu_of() {
	local pid= tck
	tck=$(getconf CLK_TCK)
	while [ -z "$pid" ]; do
		pid=$(psql -d postgres -A -t -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'" 2>/dev/null | head -n 1)
		sleep 0.2
	done
	while [ -r /proc/$pid/stat ]; do
		awk -v t="$tck" '{ printf "%.1f\n", ($14 + $15) / t }' /proc/$pid/stat >"$2.tmp" 2>/dev/null &&
			mv "$2.tmp" "$2"
		sleep 0.5
	done
}
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

t0=$(now)
psql -d django -f "$SRC_DIR/t/data/django/0046-small.sql" >/dev/null
psql -d django -v n="$N" <<'EOF'
SET TimeZone = 'Australia/Canberra';
INSERT INTO patchwork_person (id, email, name)
SELECT 100 + i, 'dev' || i || '@example.org', 'Developer ' || i
FROM generate_series(1, 10000) i;
INSERT INTO patchwork_series (id, name, date, version, total, project_id,
	submitter_id)
SELECT 100 + i, 'series ' || i, timestamp '2015-01-01' + i * interval '1 min',
	1, 4, 1, 101 + i % 10000
FROM generate_series(1, :n / 4) i;
INSERT INTO patchwork_seriesreference (id, msgid, project_id, series_id)
SELECT 100 + i, '<bench-s' || i || '@example.org>', 1, 100 + i
FROM generate_series(1, :n / 4) i;
INSERT INTO patchwork_patch (id, msgid, name, date, headers, content,
	project_id, submitter_id, archived, diff, hash, number, series_id,
	state_id)
SELECT 100 + i, '<bench-p' || i || '@example.org>',
	'[PATCH ' || (i % 4 + 1) || '/4] subsystem: change number ' || i,
	timestamp '2015-01-01' + i * interval '15 s',
	'Date: ' || to_char(timestamp '2015-01-01' + i * interval '15 s',
	    'Dy, DD Mon YYYY HH24:MI:SS') || E' +0000\nMessage-Id: <bench-p' || i ||
	    E'@example.org>\nFrom: Developer <dev@example.org>\n' ||
	    repeat(E'Received: from mail.example.org by lists.example.org\n', 12),
	'Commit message of change ' || i || E'\n\n' ||
	    repeat('This explains what the change does and why. ', 10) ||
	    E'\nSigned-off-by: Developer <dev@example.org>\n',
	1, 101 + i % 10000, i % 3 = 0,
	E'--- a/file' || i % 500 || E'.c\n+++ b/file' || i % 500 ||
	    E'.c\n@@ -1,40 +1,40 @@\n' ||
	    repeat(E' context line of code that did not change at all\n+' ||
	    i || E' added line\n', 14),
	md5(i::text) || substr(md5((i + 1)::text), 1, 8),
	i % 4 + 1, 100 + (i - 1) / 4 + 1, 1 + i % 2
FROM generate_series(1, :n) i;
INSERT INTO patchwork_patchcomment (id, msgid, date, headers, content,
	patch_id, submitter_id, addressed)
SELECT 100 + i, '<bench-c' || i || '@example.org>',
	timestamp '2015-01-01' + i * interval '30 s',
	'Date: ' || to_char(timestamp '2015-01-01' + i * interval '30 s',
	    'Dy, DD Mon YYYY HH24:MI:SS') || ' +0000',
	E'Looks good.\n\nReviewed-by: Reviewer <r@example.org>\n',
	100 + 2 * i, 101 + i % 10000, NULL
FROM generate_series(1, :n / 2) i;
INSERT INTO patchwork_check (id, date, state, target_url, description,
	context, patch_id, user_id)
SELECT 100 + i, timestamp '2015-01-01' + i * interval '1 min', i % 4,
	'https://ci.example.org/' || i, CASE WHEN i % 2 = 0 THEN 'ok' END,
	'build', 100 + 4 * i, 3
FROM generate_series(1, :n / 4) i;
INSERT INTO patchwork_patchtag (id, count, patch_id, tag_id)
SELECT 100 + i, 1, 100 + 4 * i, 1 FROM generate_series(1, :n / 4) i;
INSERT INTO patchwork_event (id, category, date, project_id, patch_id,
	series_id)
SELECT 100 + i, 'patch-created',
	timestamp '2015-01-01' + i * interval '15 s' + interval '20 s', 1,
	100 + i, 100 + (i - 1) / 4 + 1
FROM generate_series(1, :n) i;
INSERT INTO patchwork_event (id, category, date, project_id, patch_id,
	created_check_id, actor_id)
SELECT 100 + :n + i, 'check-created',
	timestamp '2015-01-01' + i * interval '1 min', 1, 100 + 4 * i,
	100 + i, 3
FROM generate_series(1, :n / 4) i;
VACUUM ANALYZE;
EOF
echo "django database: $N patches, built in $(since "$t0") s, $(psql -d django -A -t -c "SELECT pg_size_pretty(pg_database_size('django'))")"

pw db sync >/dev/null

cpu_of "pw db export" "$W/export.cpu" &
t0=$(now)
/usr/bin/time -f "%M %U %S" -o "$W/export.rss" \
	pw --database-url "$OLD" db export -q >"$W/data.sql" 2>"$W/export.err"
te=$(since "$t0")
size=$(du -m "$W/data.sql" | cut -f1)
wait
set -- $(cat "$W/export.rss")
echo "export: $te s, $size MB written; pw: peak RSS $1 KB, CPU $(echo "$2 $3" |
	awk '{ print $1 + $2 }') s; server CPU $(cat "$W/export.cpu") s"

cpu_of pw-db "$W/import.cpu" &
t0=$(now)
/usr/bin/time -f "%M %U %S" -o "$W/import.rss" \
	pw db import -q --no-progress "$W/data.sql" 2>"$W/import.err" ||
	{ cat "$W/import.err" >&2; exit 1; }
ti=$(since "$t0")
wait
set -- $(cat "$W/import.rss")
echo "import: $ti s; pw: peak RSS $1 KB, CPU $(echo "$2 $3" |
	awk '{ print $1 + $2 }') s; server CPU $(cat "$W/import.cpu") s"

# Since sql/0003-search.sql the full-text vectors are not built by the
# import but by pw cron afterwards: time that backlog on its own.
if [ -x "$PW_BUILD/bin/pw-cron" ]; then
	cpu_of pw-cron "$W/cron.cpu" &
	cpid=$!
	t0=$(now)
	/usr/bin/time -f "%M %U %S" -o "$W/cron.rss" \
		pw cron --all --task search 2>"$W/cron.err" ||
		{ cat "$W/cron.err" >&2; exit 1; }
	tc=$(since "$t0")
	# A run too short for cpu_of to see its backend: stop waiting.
	sleep 1
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	set -- $(cat "$W/cron.rss")
	echo "search backlog (pw cron --all --task search): $tc s; pw: peak" \
		"RSS $1 KB, CPU $(echo "$2 $3" | awk '{ print $1 + $2 }') s;" \
		"server CPU $(cat "$W/cron.cpu" 2>/dev/null || echo ?) s;" \
		"$(psql -d patchwork -A -t -c 'SELECT count(*) FROM patch_search') patch vectors"
fi
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
echo "statements over 5 s, export and import:"
sed -n 's/.*duration: \([0-9]*\)\.[0-9]* ms  [a-z]*[ <>a-z]*: *\(.\{0,60\}\).*/  \1 ms  \2/p' \
	"$W/log" | sort -k1,1nr
echo "round trip: $(echo "$te $ti" | awk '{ printf "%.1f", $1 + $2 }') s;" \
	"$(psql -d patchwork -A -t -c 'SELECT count(*) FROM patch') patches," \
	"$(psql -d patchwork -A -t -c 'SELECT count(*) FROM event') events imported"
if [ "${KEEP:-}" = 1 ]; then
	cp "$W/data.sql" "${TMPDIR:-/tmp}/pw-bench-export.sql"
	echo "kept ${TMPDIR:-/tmp}/pw-bench-export.sql"
fi
