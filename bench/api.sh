#!/bin/sh
# bench/api.sh [MESSAGES...]: the REST API's read side under wrk.
#
#	sh bench/api.sh                       # 100,000 messages
#	sh bench/api.sh 100000 1000000        # both sizes of the issue
#	DURATION=10 ROUNDS=3 WORKERS=4 CONNS=8 sh bench/api.sh
#	FILL=sql sh bench/api.sh 1000000      # rows made in SQL (minutes, not hours)
#	ONLY="list bare-list" sh bench/api.sh # a subset of the endpoints
#
# Databases are built once and cached: for each size, a PostgreSQL data
# directory under $BENCH_DB (default /tmp/pw-bench-api), keyed by the size,
# the fill and a checksum of sql/*.sql, so a new migration rebuilds it.
# FILL=ingest (the default) imports a ../shared/tools/mkcorpus corpus of
# that many messages (seed 1, cached in $BENCH_CACHE as bench/ingest.sh
# does) with `pw ingress --mbox`, one project per list, then settles 90 %
# of the patches (mail alone leaves every patch New).  FILL=sql makes rows
# of the same proportions in SQL (see fill_sql below).
#
# Each run starts a cluster on the cached data directory (read-only work;
# pg_stat_statements loaded), the pw.fcgi pool (WORKERS workers, -O2
# build in build/bench/) and two baselines, each behind its own nginx
# from etc/nginx (access log off), and runs wrk -t2 -c$CONNS on:
#
#   list       GET /api/1.3/patches/?project=P&state=new&per_page=30
#   series     GET /api/1.3/series/?project=P
#   detail     GET /api/1.3/patches/ID/
#   mbox       GET /project/P/patch/MSGID/mbox/ (the patch's mbox link)
#   index      GET /api/ (no database: the floor of any request)
#   bare-list  bench/bare-list.c: libfcgi + libpq + json-c, one prepared
#              30-row indexed query (P's New patches), same worker count
#   bare       bench/bare-fcgi.c: libfcgi, a fixed body
#
# and, when named in ONLY, deep (GET /api/1.3/patches/?project=P&page=N,
# a page in the middle) and events (GET /api/1.3/events/?project=P&
# category=series-completed&since=D).
#
# P is the largest project, ID a patch in the middle.  Rounds alternate
# the endpoints so that a change in the machine's load hits them alike.
# Per endpoint the table shows the median requests/s and p99 of the rounds
# and, over all rounds, CPU time per request (utime + stime from /proc of
# the responder's processes, the cluster's processes and nginx's), split
# into responder / postgres / nginx, and the statements per request
# (pg_stat_statements).  On a shared machine the rates move with the
# load; CPU per request is the steadier figure.  Last, the pool's largest
# worker RSS, once the pool has served at least 100,000 requests.
# Not part of `make check`.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-4}
CONNS=${CONNS:-8}
THREADS=${THREADS:-2}
SIZES=${*:-100000}
FILL=${FILL:-ingest}
ONLY=${ONLY:-list series detail mbox index bare-list bare}
CACHE=${BENCH_CACHE:-/tmp/pw-bench-corpus}
DBCACHE=${BENCH_DB:-/tmp/pw-bench-api}
MKCORPUS=${MKCORPUS:-$top/../shared/tools/mkcorpus}
O=$top/build/bench

die() { printf 'bench/api: %s\n' "$*" >&2; exit 1; }
say() { printf '# %s\n' "$*" >&2; }

command -v wrk >/dev/null 2>&1 || die "wrk is missing (apt-get install wrk)"
command -v nginx >/dev/null 2>&1 || die "nginx is missing"
BIN=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
	[ -x "$d/initdb" ] && { BIN=$d; break; }
done
[ -n "$BIN" ] || die "no PostgreSQL server binaries"

make -C "$top" --no-print-directory O=build/bench SANITIZE= \
	CFLAGS='-O2 -g' build/bench/bin/pw.fcgi build/bench/bin/pw-db \
	build/bench/bin/pw-ingress >/dev/null
cc -O2 -Wall -o "$O/bare-fcgi" "$top/bench/bare-fcgi.c" -lfcgi
cc -O2 -Wall -I"$(pg_config --includedir)" -o "$O/bare-list" \
	"$top/bench/bare-list.c" -lfcgi -lpq -ljson-c

user=
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && user=nobody

W= DATA= pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "$DATA" ]; then
		as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || :
	fi
	[ -n "$W" ] && [ "${KEEP:-0}" != 1 ] && rm -rf "$W"
	pids= W= DATA=
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

# pg_start DATADIR [SETTINGS...]: a cluster on a unix socket in $W/sock.
pg_start() {
	pgd=$1
	shift
	as_pg "$BIN/pg_ctl" -D "$pgd" -l "$W/pg.log" -w -t 600 -o "-c listen_addresses='' \
		-c unix_socket_directories='$W/sock' -c fsync=off \
		-c synchronous_commit=off -c full_page_writes=off \
		-c shared_buffers=512MB -c effective_cache_size=2GB \
		-c work_mem=16MB -c max_wal_size=8GB -c random_page_cost=1.1 \
		-c jit=off -c max_connections=50 $*" start >/dev/null
	DATA=$pgd
	export PGHOST="$W/sock" PGUSER=postgres PGDATABASE=patchwork
}

# fill_sql N: rows in mkcorpus's proportions, made in SQL.
fill_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -v n="$1" <<-'EOF'
	SET maintenance_work_mem = '1GB';
	-- Secondary indexes are built after the load.
	CREATE TEMP TABLE saved_idx AS
		SELECT pg_get_indexdef(i.indexrelid) AS def,
			i.indexrelid::regclass::text AS name
		  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
		 WHERE t.relname IN ('patch', 'cover', 'series', 'event',
			'patch_comment', 'cover_comment', 'ci_check', 'person')
		   AND NOT EXISTS (SELECT 1 FROM pg_constraint c
			WHERE c.conindid = i.indexrelid);
	SELECT format('DROP INDEX %s', name) FROM saved_idx \gexec

	INSERT INTO project (id, linkname, name, listid, listemail,
		list_archive_url_format)
	SELECT i, l, initcap(l), l || '.vger.kernel.org',
		l || '@vger.kernel.org', 'https://lore.kernel.org/r/{}'
	  FROM unnest(ARRAY['netdev', 'linux-mm', 'dri-devel', 'linux-block',
		'linux-usb', 'bpf']) WITH ORDINALITY AS x(l, i);
	INSERT INTO auth_user (id, username, email, first_name)
		SELECT i, 'maint' || i, 'maint' || i || '@kernel.org', 'Maint' || i
		FROM generate_series(1, 60) i;
	SELECT setval(pg_get_serial_sequence('auth_user', 'id'), 60);
	INSERT INTO project_maintainer SELECT 1 + i % 6, i FROM generate_series(1, 30) i;
	INSERT INTO person (id, email, name, user_id)
		SELECT i, 'dev' || i || '@example.org',
			CASE WHEN i % 7 = 0 THEN NULL ELSE 'Developer Nümber ' || i END,
			CASE WHEN i <= 60 THEN i END
		FROM generate_series(1, greatest(100, :n / 20)) i;

	CREATE TEMP TABLE snip AS
	SELECT s,
		'subsys: ' || (ARRAY['fix', 'add', 'remove', 'rework', 'document'])[1 + s % 5]
			|| ' w' || s AS subj,
		(SELECT string_agg('w' || floor(3000 * random() ^ 3)::int, ' ')
		   FROM generate_series(1, 60) WHERE s >= 0)
			|| E'\n\nSigned-off-by: Developer <dev@example.org>\n' AS msg,
		'diff --git a/drivers/net/f' || s || '.c b/drivers/net/f' || s
			|| E'.c\nindex 3b18e51..a9c2d1f 100644\n--- a/drivers/net/f' || s
			|| E'.c\n+++ b/drivers/net/f' || s || E'.c\n@@ -1,20 +1,20 @@\n'
			|| (SELECT string_agg('+	w' || floor(3000 * random() ^ 2)::int
				|| ' = w' || floor(3000 * random() ^ 2)::int || '(x, y);', E'\n')
			   FROM generate_series(1, 25) WHERE s >= 0) || E'\n' AS diff
	FROM generate_series(0, 1999) s;

	-- Series of 1..5 patches until 45 % of the messages are patches.
	CREATE TEMP TABLE ser AS
	SELECT s, 1 + (abs(hashint4(s)) % 5) AS total,
		CASE WHEN h < 40 THEN 1 WHEN h < 60 THEN 2 WHEN h < 75 THEN 3
			WHEN h < 85 THEN 4 WHEN h < 95 THEN 5 ELSE 6 END AS project_id,
		1 + abs(hashint4(s * 7)) % greatest(100, :n / 20) AS submitter_id
	FROM (SELECT s, abs(hashint4(s + 3)) % 100 AS h
		FROM generate_series(1, (:n * 45 / 100) / 3) s) x;
	ALTER TABLE ser ADD COLUMN first bigint;
	UPDATE ser SET first = f.first FROM (SELECT s, 1 + coalesce(sum(total)
		OVER (ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
		AS first FROM ser) f WHERE f.s = ser.s;

	INSERT INTO cover (id, project_id, msgid, date, name, submitter_id,
		headers, content)
	SELECT s, project_id, '<cover-' || s || '@example.org>',
		timestamptz '2016-01-01' + s * interval '17 minutes',
		'[PATCH v' || (1 + s % 3) || ' 0/' || total || '] cover ' || s,
		submitter_id,
		'From: Developer <dev@example.org>' || E'\nSubject: [PATCH 0/' || total
			|| E'] cover\nMessage-Id: <cover-' || s || '@example.org>',
		'This series does things. ' || repeat('More text. ', 20)
	FROM ser WHERE s % 3 = 0;

	INSERT INTO series (id, project_id, name, date, submitter_id, version,
		total, cover_letter_id)
	SELECT s, project_id, 'series ' || s,
		timestamptz '2016-01-01' + s * interval '17 minutes', submitter_id,
		1 + s % 3, total, CASE WHEN s % 3 = 0 THEN s END
	FROM ser;

	INSERT INTO patch (id, project_id, msgid, date, name, submitter_id,
		state_id, delegate_id, archived, series_id, number, hash, headers,
		content, diff)
	SELECT p.id, ser.project_id, '<' || p.id || '-patch@example.org>',
		timestamptz '2016-01-01' + ser.s * interval '17 minutes'
			+ k * interval '1 second',
		'[v' || (1 + ser.s % 3) || ',' || k || '/' || ser.total || '] '
			|| snip.subj,
		ser.submitter_id,
		CASE WHEN p.id < ntot * 0.9 THEN
			CASE WHEN h < 45 THEN 3 WHEN h < 65 THEN 9 WHEN h < 80 THEN 7
			WHEN h < 90 THEN 4 WHEN h < 95 THEN 2 ELSE 1 END
		ELSE
			CASE WHEN h < 55 THEN 1 WHEN h < 75 THEN 2 WHEN h < 85 THEN 7
			WHEN h < 95 THEN 3 ELSE 9 END
		END,
		CASE WHEN h % 10 < 3 THEN 1 + h % 30 END,
		p.id < ntot * 0.9 AND h % 10 <> 0,
		ser.s, k, md5(p.id::text) || lpad(to_hex(p.id % 65536), 8, '0'),
		E'Received: from mx.example.org (mx.example.org [192.0.2.1])\n\tby lists.example.org (Postfix) with ESMTPS id '
			|| p.id || E'\nFrom: Developer <dev@example.org>\nSubject: [PATCH] '
			|| snip.subj || E'\nMessage-Id: <' || p.id || E'-patch@example.org>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nTo: list@vger.kernel.org\nCc: maintainer@kernel.org',
		snip.msg, snip.diff
	FROM ser, generate_series(1, ser.total) k,
		LATERAL (SELECT ser.first + k - 1 AS id) p,
		LATERAL (SELECT abs(hashint4(p.id::int + 11)) % 100 AS h) hh,
		(SELECT max(first + total) AS ntot FROM ser) nt,
		snip
	WHERE snip.s = p.id % 2000;

	-- Replies: 42 % of the messages on patches, 3 % on covers.
	INSERT INTO patch_comment (patch_id, msgid, date, submitter_id,
		addressed, headers, content)
	SELECT 1 + abs(hashint4(i)) % np, '<reply-' || i || '@example.org>',
		timestamptz '2016-01-01' + i * interval '2 minutes',
		1 + i % greatest(100, :n / 20), NULL,
		E'From: Reviewer <r@example.org>\nSubject: Re: [PATCH] x\nMessage-Id: <reply-'
			|| i || '@example.org>',
		E'> quoted\n\nReviewed-by: Reviewer <r@example.org>\n'
	FROM generate_series(1, :n * 42 / 100) i, (SELECT max(id) AS np FROM patch) m;
	INSERT INTO cover_comment (cover_id, msgid, date, submitter_id, headers,
		content)
	SELECT c.id, '<creply-' || c.id || '-' || i || '@example.org>',
		c.date + i * interval '1 hour', 1 + c.id % 100,
		E'Subject: Re: [PATCH 0/3] cover', 'Thanks.'
	FROM cover c, generate_series(1, 3) i;

	INSERT INTO ci_check (patch_id, user_id, date, state, context,
		target_url, description)
	SELECT p.id, 31 + p.id % 3, p.date + interval '1 hour', p.id % 4,
		'build-' || (p.id % 3), 'https://ci.example.org/' || p.id, 'Build'
	FROM patch p WHERE p.id % 2 = 0;

	INSERT INTO event (category, project_id, date, patch_id, series_id,
		cover_id, created_check_id, patch_comment_id, cover_comment_id,
		actor_id)
	SELECT 'patch-created', project_id, date, id, NULL::bigint, NULL::bigint,
		NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint FROM patch
	UNION ALL SELECT 'series-created', project_id, date, NULL, id, NULL, NULL,
		NULL, NULL, NULL FROM series
	UNION ALL SELECT 'series-completed', project_id, date + interval '1 minute',
		NULL, id, NULL, NULL, NULL, NULL, NULL FROM series
	UNION ALL SELECT 'cover-created', project_id, date, NULL, NULL, id, NULL,
		NULL, NULL, NULL FROM cover
	UNION ALL SELECT 'check-created', p.project_id, c.date, c.patch_id, NULL,
		NULL, c.id, NULL, NULL, c.user_id FROM ci_check c JOIN patch p
		ON p.id = c.patch_id
	UNION ALL SELECT 'patch-comment-created', p.project_id, c.date, c.patch_id,
		NULL, NULL, NULL, c.id, NULL, NULL FROM patch_comment c JOIN patch p
		ON p.id = c.patch_id;

	SELECT setval(pg_get_serial_sequence(t, 'id'), (SELECT max(id) FROM patch))
		FROM unnest(ARRAY['patch']) t;
	SELECT setval(pg_get_serial_sequence('series', 'id'), (SELECT max(id) FROM series));
	SELECT setval(pg_get_serial_sequence('cover', 'id'), (SELECT max(id) FROM cover));
	SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person));
	SELECT def FROM saved_idx \gexec
	VACUUM (ANALYZE);
	CHECKPOINT;
	EOF
}

# fill_ingest N: a mkcorpus corpus through pw ingress, then states.
fill_ingest() {
	corpus=$CACHE/corpus-$1.mbox
	if [ ! -s "$corpus" ]; then
		say "generating a corpus of $1 messages"
		mkdir -p "$CACHE"
		python3 "$MKCORPUS" --messages "$1" --seed 1 >"$corpus.tmp" &&
			mv "$corpus.tmp" "$corpus"
	fi
	for l in $(grep -h '^List-Id:' "$corpus" | sort -u |
		sed 's/.*<\(.*\)>.*/\1/'); do
		psql -X -q -c "INSERT INTO project (linkname, name, listid,
			listemail, list_archive_url_format) VALUES ('${l%%.*}', '$l',
			'$l', 'list@$l', 'https://lore.kernel.org/r/{}')
			ON CONFLICT DO NOTHING"
	done
	PW_CONFIG="$W/patchwork.conf" "$O/bin/pw-ingress" -q --mbox "$corpus" \
		>/dev/null
	psql -X -q <<-'EOF'
	WITH n AS (SELECT max(id) AS m FROM patch)
	UPDATE patch p SET
		state_id = CASE WHEN h < 45 THEN 3 WHEN h < 65 THEN 9
			WHEN h < 80 THEN 7 WHEN h < 90 THEN 4 WHEN h < 95 THEN 2
			ELSE 1 END,
		archived = h % 10 <> 0
	FROM n, (SELECT id, abs(hashint4(id::int + 11)) % 100 AS h
		FROM patch) x
	WHERE x.id = p.id AND p.id < n.m * 0.9;
	VACUUM (ANALYZE);
	CHECKPOINT;
	EOF
}

write_conf() {
	cat >"$W/patchwork.conf" <<-EOF
	database {
		url = "host=$W/sock user=postgres dbname=patchwork"
	}
	http {
		base_url = "${URL:-http://127.0.0.1:8080}"
		workers = $WORKERS
	}
	EOF
}

# build_db N: the cached data directory for N messages, into $dbdir.
build_db() {
	key=$(cat "$top"/sql/*.sql | md5sum | cut -c1-10)
	d=$DBCACHE/$FILL-$1-$key
	dbdir=$d/data
	[ -f "$d/ready" ] && return
	mkdir -p "$DBCACHE"
	chmod 755 "$DBCACHE"
	rm -rf "$d.tmp"
	mkdir "$d.tmp"
	[ -n "$user" ] && chown "$user" "$d.tmp"
	as_pg "$BIN/initdb" -D "$d.tmp/data" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 --no-sync >/dev/null
	pg_start "$d.tmp/data" -c maintenance_work_mem=512MB
	"$BIN/createdb" patchwork
	write_conf
	PW_CONFIG="$W/patchwork.conf" "$O/bin/pw-db" sync >/dev/null
	say "fill ($FILL): $1 messages into $d"
	t0=$(date +%s)
	if [ "$FILL" = ingest ]; then
		fill_ingest "$1" >/dev/null
	else
		fill_sql "$1" >/dev/null
	fi
	say "filled in $(( $(date +%s) - t0 )) s"
	as_pg "$BIN/pg_ctl" -D "$d.tmp/data" -m fast stop >/dev/null
	DATA=
	mv "$d.tmp" "$d"
	touch "$d/ready"
}

# ticks PID...: utime + stime of the processes, in clock ticks.
ticks() {
	for p in "$@"; do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }'
}
# kids PID: PID and its children.
kids() { echo "$1 $(ps -o pid= --ppid "$1" | tr '\n' ' ')"; }

# sample: "APP PG NGINX" ticks of the current server ($app_pid, $ngx_pid).
sample() {
	echo "$(ticks $(kids "$app_pid")) $(ticks $(kids "$pg_pid")) \
$(ticks $(kids "$ngx_pid"))"
}

# run KEY URL: one wrk run; appends "KEY rps p99ms reqs app pg nginx stmts".
run() {
	psql -XAtq -c "SELECT pg_stat_statements_reset()" >/dev/null
	s0=$(sample)
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency \
		"$2" >"$W/wrk.out"
	s1=$(sample)
	stmts=$(psql -XAtq -c "SELECT coalesce(sum(calls), 0) FROM
		pg_stat_statements WHERE query !~* 'pg_stat_statements'")
	if grep -q -e "Non-2xx" -e "Socket errors" "$W/wrk.out"; then
		cat "$W/wrk.out" >&2
		die "$1: errors during the run"
	fi
	awk -v key="$1" -v s0="$s0" -v s1="$s1" -v st="$stmts" '
		/^Requests\/sec:/ { rps = $2 }
		/requests in/ { reqs = $1 }
		$1 == "99%" {
			v = $2 + 0
			if ($2 ~ /us$/) v /= 1000
			else if ($2 ~ /[0-9]s$/ && $2 !~ /ms$/) v *= 1000
			p99 = v
		}
		END {
			split(s0, a, " "); split(s1, b, " ")
			printf "%s %.0f %.2f %d %d %d %d %d\n", key, rps, p99,
				reqs, b[1] - a[1], b[2] - a[2], b[3] - a[3], st
		}
	' "$W/wrk.out" >>"$W/results"
	printf '.' >&2
}

median() {
	awk -v k="$1" '$1 == k' "$W/results" | sort -n -k"$2" |
		awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

# start_nginx NAME SOCKET: an nginx in front of SOCKET; sets port_NAME.
start_nginx() {
	mkdir -p "$W/$1"
	port=$(free_port)
	sh "$top/tools/nginx-conf" "$W/$1" "127.0.0.1:$port" "$2" \
		"$W/static" 10m "$user"
	sed -i -e 's|^\([[:space:]]*access_log\) .*|\1 off;|' "$W/$1/nginx.conf"
	nginx -e "$W/$1/nginx-error.log" -p "$W/$1" -c "$W/$1/nginx.conf" &
	pids="$! $pids"
	eval "port_$1=$port ngx_$1=$!"
}

used=
free_port() {
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
		echo 32768)
	while :; do
		p=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % (lo - 10000)))
		ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' |
			grep -qx "$p" || break
	done
	echo "$p"
}

wait_200() {
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && die "$1 does not answer 200"
		sleep 0.05
	done
}

bench_size() {
	n=$1
	W=$(mktemp -d /tmp/pwbench.XXXXXX)
	chmod 755 "$W"
	mkdir "$W/sock" "$W/static"
	[ -n "$user" ] && chown -R "$user" "$W"
	build_db "$n"
	d=$dbdir
	pg_start "$d" -c shared_preload_libraries=pg_stat_statements \
		-c pg_stat_statements.track=all
	pg_pid=$(head -1 "$d/postmaster.pid")
	psql -XAtq -c "SET client_min_messages = warning" \
		-c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

	P=$(psql -XAt -c "SELECT linkname FROM project p ORDER BY
		(SELECT count(*) FROM patch WHERE project_id = p.id) DESC LIMIT 1")
	PID=$(psql -XAt -c "SELECT id FROM project WHERE linkname = '$P'")
	npatch=$(psql -XAt -c "SELECT count(*) FROM patch")
	nproj=$(psql -XAt -c "SELECT count(*) FROM patch WHERE project_id = $PID")
	nnew=$(psql -XAt -c "SELECT count(*) FROM patch WHERE project_id = $PID
		AND state_id = 1")
	ID=$(psql -XAt -c "SELECT id FROM patch ORDER BY id
		OFFSET (SELECT count(*) / 2 FROM patch) LIMIT 1")
	SINCE=$(psql -XAt -c "SELECT to_char(max(date) - interval '2 days',
		'YYYY-MM-DD\"T\"HH24:MI:SS') FROM event")
	DEEP=$(( nproj / 30 / 2 + 1 ))
	size=$(psql -XAt -c "SELECT pg_size_pretty(pg_database_size('patchwork'))")

	start_nginx pw "$W/pw.sock"
	start_nginx list "$W/bare-list.sock"
	start_nginx bare "$W/bare.sock"
	URL=http://127.0.0.1:$port_pw
	write_conf
	"$O/bin/pw.fcgi" -c "$W/patchwork.conf" -s "$W/pw.sock" \
		-w "$WORKERS" ${user:+-u "$user"} 2>"$W/pool.log" &
	pool_pid=$!
	pids="$pool_pid $pids"
	"$O/bare-list" "$W/bare-list.sock" "$WORKERS" \
		"host=$W/sock user=postgres dbname=patchwork" "$PID" 1 &
	list_pid=$!
	pids="$list_pid $pids"
	"$O/bare-fcgi" "$W/bare.sock" "$WORKERS" &
	bare_pid=$!
	pids="$bare_pid $pids"

	wait_200 "$URL/api/"
	mbox=$(curl -s "$URL/api/1.3/patches/$ID/" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["mbox"])')
	[ -n "$mbox" ] || die "no mbox link in patch $ID"
	mbox=${mbox#http*://*/}
	for k in $ONLY; do
		case $k in
		list) u="$URL/api/1.3/patches/?project=$P&state=new&per_page=30" ;;
		series) u="$URL/api/1.3/series/?project=$P" ;;
		detail) u="$URL/api/1.3/patches/$ID/" ;;
		mbox) u="$URL/$mbox" ;;
		index) u="$URL/api/" ;;
		deep) u="$URL/api/1.3/patches/?project=$P&page=$DEEP" ;;
		events) u="$URL/api/1.3/events/?project=$P&category=series-completed&since=$SINCE" ;;
		bare-list) u="http://127.0.0.1:$port_list/" ;;
		bare) u="http://127.0.0.1:$port_bare/" ;;
		*) die "unknown endpoint $k" ;;
		esac
		eval "url_$(echo "$k" | tr - _)=\$u"
		wait_200 "$u"
		wrk -t"$THREADS" -c"$CONNS" -d2s "$u" >/dev/null
	done

	: >"$W/results"
	round=0
	while [ $round -lt "$ROUNDS" ]; do
		round=$((round + 1))
		for k in $ONLY; do
			case $k in
			bare-list) app_pid=$list_pid ngx_pid=$ngx_list ;;
			bare) app_pid=$bare_pid ngx_pid=$ngx_bare ;;
			*) app_pid=$pool_pid ngx_pid=$ngx_pw ;;
			esac
			eval "u=\$url_$(echo "$k" | tr - _)"
			run "$k" "$u"
		done
	done
	echo >&2
	# The pool's requests so far; top up to 100,000 with the list.
	total=$(awk '$1 !~ /^bare/ { s += $4 } END { print s + 0 }' "$W/results")
	if [ "$total" -lt 100000 ]; then
		u="$URL/api/1.3/patches/?project=$P&state=new&per_page=30"
		r=$(median list 2 2>/dev/null)
		d=$(( (100000 - total) * 13 / 10 / ${r:-1000} + 2 ))
		wrk -t"$THREADS" -c"$CONNS" -d"${d}s" "$u" >"$W/wrk.out"
		total=$(( total + $(awk '/requests in/ { print $1 }' "$W/wrk.out") ))
	fi
	rss=$(ps -o rss= --ppid "$pool_pid" |
		awk '{ if ($1 > m) m = $1 } END { printf "%.1f", m / 1024 }')
	hz=$(getconf CLK_TCK)

	echo "### $n messages ($FILL)"
	echo
	echo "$npatch patches; project $P has $nproj ($nnew New); database $size;" \
		"patch $ID; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo
	echo "| endpoint | req/s | p99 | CPU µs/req | pw / pg / nginx | statements/req |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for k in $ONLY; do
		case $k in
		list) l='`patches/?project=P&state=new&per_page=30`' ;;
		series) l='`series/?project=P`' ;;
		detail) l='`patches/ID/`' ;;
		mbox) l='patch mbox download' ;;
		index) l='`/api/` (no database)' ;;
		deep) l="\`patches/?project=P&page=$DEEP\` (middle page)" ;;
		events) l='`events/?project=P&category=series-completed&since=D`' ;;
		bare-list) l='bare libfcgi + libpq + json-c, 30 rows' ;;
		bare) l='bare libfcgi, fixed body' ;;
		esac
		awk -v k="$k" -v l="$l" -v hz="$hz" -v rps="$(median "$k" 2)" \
			-v p99="$(median "$k" 3)" '
			$1 == k { n += $4; a += $5; p += $6; x += $7; s += $8 }
			END {
				f = 1e6 / hz / n
				printf "| %s | %s | %.1f ms | %.0f | %.0f / %.0f / %.0f | %.2f |\n",
					l, rps, p99, (a + p + x) * f, a * f, p * f, x * f, s / n
			}' "$W/results"
	done
	echo
	echo "pw.fcgi: $WORKERS workers, largest RSS $rss MB after $total requests."
	echo
	cleanup
}

echo "# $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds (medians of req/s and p99; CPU over all rounds); $WORKERS workers per pool."
echo
for n in $SIZES; do
	bench_size "$n"
done
