#!/bin/sh
# bench/api.sh [MESSAGES...]: the REST API's read side under wrk.
#
#	sh bench/api.sh                  # 100,000 then 1,000,000 messages
#	sh bench/api.sh 100000           # one size
#	DURATION=20 ROUNDS=3 WORKERS=4 CONNS=8 sh bench/api.sh 100000
#	FILL=ingest sh bench/api.sh 100000   # mkcorpus | pw ingress --mbox
#
# For each size: a throwaway PostgreSQL cluster under /tmp, `pw db sync`,
# a fill shaped like ../shared/tools/mkcorpus traffic of that many
# messages (below), then the pw.fcgi pool (WORKERS workers, -O2 build in
# build/bench/) behind nginx (access log off, etc/nginx's server block),
# and wrk -t2 -c$CONNS on
#
#   list    GET /api/1.3/patches/?project=P&state=new&per_page=30
#   series  GET /api/1.3/series/?project=P
#   detail  GET /api/1.3/patches/ID/
#   deep    GET /api/1.3/patches/?project=P&page=N (a page in the middle)
#   events  GET /api/1.3/events/?project=P&category=series-completed&since=D
#   index   GET /api/ (no database: what the machine gives any request)
#
# P is the largest project.  Rounds alternate the endpoints so that a change
# in the machine's load hits them alike; the table shows medians of
# requests/s and p99, and the workers' RSS after every run (by then they
# have served at least 100,000 requests).  Not part of `make check`.
#
# The fill.  FILL=ingest imports a mkcorpus corpus of that many messages
# (seed 1, cached in $BENCH_CACHE, default /tmp/pw-bench-corpus) with
# `pw ingress --mbox` into one project per list, then settles 90 % of the
# patches into the states below (mail alone leaves every patch New).
# The default, FILL=sql, makes the rows in SQL, much faster, with
# mkcorpus's proportions: of N messages,
# 45 % patches in series of one to five (a cover letter for one series in
# three), 45 % replies, the rest cover letters and other mail; six lists
# with one holding 40 % of the traffic; one person per 20 messages; the
# newest tenth of the patches mostly New or Under Review, the rest mostly
# settled and archived; a CI check on half the patches; the events ingest
# and the checks would have written.  Bodies come from 2,000 generated
# commit messages and diffs (~1.6 kB a patch).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-4}
CONNS=${CONNS:-8}
THREADS=${THREADS:-2}
SIZES=${*:-100000 1000000}
FILL=${FILL:-sql}
CACHE=${BENCH_CACHE:-/tmp/pw-bench-corpus}
MKCORPUS=${MKCORPUS:-$top/../shared/tools/mkcorpus}
O=$top/build/bench

die() { printf 'bench/api: %s\n' "$*" >&2; exit 1; }

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

user=
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && user=nobody

W= nginx_pid= pool_pid=
cleanup() {
	[ -n "$pool_pid" ] && kill "$pool_pid" 2>/dev/null &&
		wait "$pool_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null &&
		wait "$nginx_pid" 2>/dev/null
	if [ -n "$W" ]; then
		as_pg "$BIN/pg_ctl" -D "$W/data" -m immediate stop \
			>/dev/null 2>&1 || :
		[ "${KEEP:-0}" = 1 ] || rm -rf "$W"
	fi
	nginx_pid= pool_pid= W=
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

fill() {
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
	EOF
}

# run KEY PATH: one wrk run; appends "KEY rps p99ms rss requests".
run() {
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency "$URL$2" \
		>"$W/wrk.out"
	if grep -q -e "Non-2xx" -e "Socket errors" "$W/wrk.out"; then
		cat "$W/wrk.out" >&2
		die "$1: errors during the run"
	fi
	mem=$(ps -o rss= --ppid "$pool_pid" |
		awk '{ s += $1; n++ } END { printf "%.1f", n ? s / n / 1024 : 0 }')
	awk -v key="$1" -v mem="$mem" '
		/^Requests\/sec:/ { rps = $2 }
		/requests in/ { reqs = $1 }
		$1 == "99%" {
			v = $2 + 0
			if ($2 ~ /us$/) v /= 1000
			else if ($2 ~ /[0-9]s$/) v *= 1000
			p99 = v
		}
		END { printf "%s %.0f %.2f %s %s\n", key, rps, p99, mem, reqs }
	' "$W/wrk.out" >>"$W/results"
	printf '.' >&2
}

median() {
	awk -v k="$1" '$1 == k' "$W/results" | sort -n -k"$2" |
		awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

bench_size() {
	n=$1
	W=$(mktemp -d /tmp/pwbench.XXXXXX)
	chmod 755 "$W"
	mkdir "$W/sock" "$W/static"
	[ -n "$user" ] && chown -R "$user" "$W"
	as_pg "$BIN/initdb" -D "$W/data" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 --no-sync >/dev/null
	as_pg "$BIN/pg_ctl" -D "$W/data" -l "$W/pg.log" -w -o "-c listen_addresses='' \
		-c unix_socket_directories='$W/sock' -c fsync=off \
		-c synchronous_commit=off -c full_page_writes=off \
		-c shared_buffers=1GB -c effective_cache_size=4GB \
		-c work_mem=16MB -c max_wal_size=8GB -c random_page_cost=1.1 \
		-c jit=off -c max_connections=50" start >/dev/null
	export PGHOST="$W/sock" PGUSER=postgres PGDATABASE=patchwork
	"$BIN/createdb" patchwork
	cat >"$W/patchwork.conf" <<-EOF
	database {
		url = "host=$W/sock user=postgres dbname=patchwork"
	}
	http {
		base_url = "$URL"
		workers = $WORKERS
	}
	EOF
	PW_CONFIG="$W/patchwork.conf" "$O/bin/pw-db" sync >/dev/null

	printf 'fill (%s): %s messages... ' "$FILL" "$n" >&2
	t0=$(date +%s)
	if [ "$FILL" = ingest ]; then
		fill_ingest "$n"
	else
		fill "$n" >/dev/null
	fi
	printf '%s s\n' "$(( $(date +%s) - t0 ))" >&2
	P=$(psql -XAt -c "SELECT linkname FROM project p ORDER BY
		(SELECT count(*) FROM patch WHERE project_id = p.id) DESC LIMIT 1")
	npatch=$(psql -XAt -c "SELECT count(*) FROM patch")
	nproj=$(psql -XAt -c "SELECT count(*) FROM patch p JOIN project j
		ON j.id = p.project_id WHERE j.linkname = '$P'")
	nnew=$(psql -XAt -c "SELECT count(*) FROM patch p JOIN project j
		ON j.id = p.project_id WHERE j.linkname = '$P' AND state_id = 1")
	ID=$(psql -XAt -c "SELECT id FROM patch ORDER BY id
		OFFSET (SELECT count(*) / 2 FROM patch) LIMIT 1")
	SINCE=$(psql -XAt -c "SELECT to_char(max(date) - interval '2 days',
		'YYYY-MM-DD\"T\"HH24:MI:SS') FROM event")
	DEEP=$(( nproj / 30 / 2 ))
	size=$(psql -XAt -c "SELECT pg_size_pretty(pg_database_size('patchwork'))")

	sh "$top/tools/nginx-conf" "$W" "127.0.0.1:$PORT" "$W/pw.sock" \
		"$W/static" 10m "$user"
	sed -i -e 's|^\([[:space:]]*access_log\) .*|\1 off;|' "$W/nginx.conf"
	nginx -e "$W/nginx-error.log" -p "$W" -c "$W/nginx.conf" &
	nginx_pid=$!
	"$O/bin/pw.fcgi" -c "$W/patchwork.conf" -s "$W/pw.sock" \
		-w "$WORKERS" ${user:+-u "$user"} 2>"$W/pool.log" &
	pool_pid=$!
	i=0
	until curl -s -o /dev/null "$URL/api/"; do
		i=$((i + 1))
		[ $i -gt 200 ] && die "nginx or the pool did not start"
		sleep 0.05
	done

	list="/api/1.3/patches/?project=$P&state=new&per_page=30"
	series="/api/1.3/series/?project=$P"
	detail="/api/1.3/patches/$ID/"
	deep="/api/1.3/patches/?project=$P&page=$DEEP"
	events="/api/1.3/events/?project=$P&category=series-completed&since=$SINCE"
	index=/api/
	for u in "$list" "$series" "$detail" "$deep" "$events" "$index"; do
		test "$(curl -s -o /dev/null -w '%{http_code}' "$URL$u")" = 200 ||
			die "$u does not answer 200"
		wrk -t"$THREADS" -c"$CONNS" -d2s "$URL$u" >/dev/null
	done
	: >"$W/results"
	round=0
	while [ $round -lt "$ROUNDS" ]; do
		round=$((round + 1))
		run list "$list"
		run series "$series"
		run detail "$detail"
		run deep "$deep"
		run events "$events"
		run index "$index"
	done
	echo >&2
	total=$(awk '{ s += $5 } END { print s }' "$W/results")
	if [ "$total" -lt 100000 ]; then
		d=$(( (100000 - total) / $(median list 2) + 2 ))
		wrk -t"$THREADS" -c"$CONNS" -d"${d}s" "$URL$list" >"$W/wrk.out"
		total=$(( total + $(awk '/requests in/ { print $1 }' "$W/wrk.out") ))
	fi
	rss=$(ps -o rss= --ppid "$pool_pid" |
		awk '{ if ($1 > m) m = $1 } END { printf "%.1f", m / 1024 }')

	echo "### $n messages"
	echo
	echo "$npatch patches; project $P has $nproj ($nnew New); database $size."
	echo
	echo "| endpoint | req/s | p99 |"
	echo "| --- | ---: | ---: |"
	for k in list series detail deep events index; do
		case $k in
		list) u=$list ;; series) u=$series ;; detail) u=$detail ;;
		deep) u=$deep ;; events) u=$events ;; index) u=$index ;;
		esac
		printf '| `%s` | %s | %s ms |\n' "$(echo "$u" | sed 's|^/api/1.3||')" \
			"$(median $k 2)" "$(median $k 3)"
	done
	echo
	echo "Largest worker RSS after $total requests: $rss MB."
	echo
	cleanup
}

used=$(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
while :; do
	PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	printf '%s\n' "$used" | grep -qx "$PORT" || break
done
URL=http://127.0.0.1:$PORT

echo "# $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "# wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds (medians); pw.fcgi -w $WORKERS; fill: $FILL"
echo
for n in $SIZES; do
	bench_size "$n"
done
