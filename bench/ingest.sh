#!/bin/sh
# bench/ingest.sh: the speed and memory of mail ingest (not in make check).
#
#	sh bench/ingest.sh                       # 100,000-message import
#	MESSAGES=1000000 sh bench/ingest.sh      # the scaling run
#	IMPORT_ONLY=1 MESSAGES=20000 sh ...      # import only, no pipe/LMTP
#
# Builds pw without sanitizers (-O2, into build/bench/) and
# bench/floor-connect.c, starts a private PostgreSQL (durable: fsync on,
# synchronous_commit on, shared_buffers 256MB) under a temporary directory,
# and measures, into an empty instance:
#
#   import    `pw ingress --mbox` of a MESSAGES-message mkcorpus corpus
#             (seed 1), end to end, in ten slices so that the rate of the
#             first and the last tenth can be compared; max RSS;
#   pipe      median wall time of `pw-ingress` per mail (process start,
#             configuration, connection, parse, store, durable commit), on
#             the database the import filled, against floor-connect: the
#             same libraries, a connection, nothing else; runs alternate;
#   resident  the same with ingress.socket set: `pw-ingress` hands each
#             mail to a running `pw-ingress --lmtp --listen` (2 workers,
#             warm backends), again alternating with floor-connect;
#   lmtp      one `pw-ingress --lmtp` session delivering LMTP_MAILS mails,
#             time per mail (durable commit each);
#
# and prints a Markdown table for docs/benchmarks.md.  Corpora are cached in
# $BENCH_CACHE (default /tmp/pw-bench-corpus).  Needs ../shared/tools/mkcorpus
# and python3; run as root or as a user who can run initdb.
#
# BENCH_DIR=dir keeps the instance in dir (stopped, not removed, at the
# end).  A later run with the same BENCH_DIR and PIPE_ONLY=1 skips the
# import and LMTP and measures pipe mode alone on the database as it is,
# with new mails each time (the mkcorpus seed moves on per run); the
# skipped rows of the table say "-".
#
# PG_PRELOAD=plpgsql,pg_trgm,dict_snowball starts the server with those
# libraries in shared_preload_libraries (a fresh backend per delivery then
# does not load them: see docs/benchmarks.md, pipe mode).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
MESSAGES=${MESSAGES:-100000}
PIPE_RUNS=${PIPE_RUNS:-200}
LMTP_MAILS=${LMTP_MAILS:-1000}
CACHE=${BENCH_CACHE:-/tmp/pw-bench-corpus}
MKCORPUS=${MKCORPUS:-$top/../shared/tools/mkcorpus}
O=$top/build/bench

die() { printf 'ingest bench: %s\n' "$*" >&2; exit 1; }
say() { printf '# %s\n' "$*" >&2; }

[ -x "$MKCORPUS" ] || [ -f "$MKCORPUS" ] || die "no mkcorpus at $MKCORPUS"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || die "no PostgreSQL server binaries"

make -C "$top" --no-print-directory O=build/bench SANITIZE= CFLAGS='-O2 -g' \
	build/bench/bin/pw-ingress build/bench/bin/pw-db >/dev/null
libs=$(make -s -C "$top" --no-print-directory \
	--eval 'print-libs: ; @echo $(LIBS)' print-libs)
cc -O2 -Wall -I"$(pg_config --includedir)" -o "$O/floor-connect" \
	"$top/bench/floor-connect.c" -Wl,--no-as-needed $libs

# --- the corpora -------------------------------------------------------------
mkdir -p "$CACHE"
corpus=$CACHE/corpus-$MESSAGES.mbox
if [ ! -s "$corpus" ]; then
	say "generating $MESSAGES messages"
	python3 "$MKCORPUS" --messages "$MESSAGES" --seed 1 >"$corpus.tmp"
	mv "$corpus.tmp" "$corpus"
fi
PIPE_ONLY=${PIPE_ONLY:-}
reuse=
seed=2
if [ -n "${BENCH_DIR:-}" ]; then
	W=$BENCH_DIR
	mkdir -p "$W"
	if [ -d "$W/data" ]; then
		reuse=1
		seed=$(($(cat "$W/runs" 2>/dev/null || echo 2) + 1))
	fi
	echo "$seed" >"$W/runs"
	rm -rf "$W/mails"
else
	[ -z "$PIPE_ONLY" ] || die "PIPE_ONLY needs BENCH_DIR"
	W=$(mktemp -d /tmp/pw-bench-ingest.XXXXXX)
fi
[ -n "$reuse" ] || [ -z "$PIPE_ONLY" ] ||
	die "PIPE_ONLY: no instance in $W yet (run once without it)"
chmod 755 "$W"
# mails for pipe mode, pipe via the resident service, and LMTP
EXTRA_N=$((2 * PIPE_RUNS + LMTP_MAILS))
extra=$CACHE/extra-$EXTRA_N-$seed.mbox
[ "$seed" = 2 ] && extra=$CACHE/extra-$EXTRA_N.mbox
if [ ! -s "$extra" ]; then
	python3 "$MKCORPUS" --messages $EXTRA_N \
		--seed "$seed" --start 2031-01-01 >"$extra.tmp"
	mv "$extra.tmp" "$extra"
fi
as=
if [ "$(id -u)" = 0 ]; then
	chown nobody "$W"
	as="runuser -u nobody --"
fi

# One message per file (mboxrd unescaped), for pipe and LMTP.
mkdir "$W/mails"
awk -v d="$W/mails" '
	/^From / { n++; f = sprintf("%s/%05d", d, n); next }
	{ if ($0 ~ /^>+From /) $0 = substr($0, 2); print > f }
' "$extra"

# Ten slices of the corpus, for the rate per tenth.
rm -rf "$W/slices"
mkdir "$W/slices"
[ -n "$reuse" ] || awk -v d="$W/slices" -v n="$MESSAGES" '
	/^From / { m++; s = int((m - 1) * 10 / n); f = sprintf("%s/%02d", d, s) }
	{ print > f }
' "$corpus"

# --- a private, durable PostgreSQL -------------------------------------------
if [ -z "$reuse" ]; then
	$as "$bindir/initdb" -D "$W/data" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 >/dev/null
	mkdir "$W/sock"
	[ -n "$as" ] && chown nobody "$W/sock"
fi
$as "$bindir/pg_ctl" -D "$W/data" -l "$W/log" -w -o "-c listen_addresses='' \
	-c unix_socket_directories='$W/sock' -c shared_buffers=256MB \
	-c max_wal_size=8GB -c checkpoint_timeout=30min \
	${PG_PRELOAD:+-c shared_preload_libraries=$PG_PRELOAD}" start >/dev/null
resident=
cleanup() {
	[ -z "$resident" ] || kill "$resident" 2>/dev/null || :
	$as "$bindir/pg_ctl" -D "$W/data" -m fast -w stop >/dev/null 2>&1 || :
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PGHOST=$W/sock PGUSER=postgres PGDATABASE=patchwork PW_CONFIG=/dev/null
export PW_DATABASE_URL="host=$W/sock user=postgres dbname=patchwork"
[ -n "$reuse" ] || "$bindir/createdb" -U postgres patchwork
"$O/bin/pw-db" sync >/dev/null
# One project per list id of the corpora.
for l in $(grep -h '^List-Id:' "$corpus" "$extra" | sort -u |
	sed 's/.*<\(.*\)>.*/\1/'); do
	psql -X -q -c "INSERT INTO project (linkname, name, listid, listemail)
		VALUES ('$l', '$l', '$l', 'list@$l') ON CONFLICT DO NOTHING"
done

now() { date +%s.%N; }
# CPU seconds of the whole server: the postmaster's reaped children
# (user + system) plus every live child (backends, autovacuum, WAL and
# background writers).
hz=$(getconf CLK_TCK)
pm=$(head -1 "$W/data/postmaster.pid")
server_cpu() {
	cat "/proc/$pm/stat" $(tr ' ' '\n' <"/proc/$pm/task/$pm/children" |
		sed -n 's|^[0-9][0-9]*$|/proc/&/stat|p') 2>/dev/null |
	awk -v pm="$pm" -v hz="$hz" '{
		sub(/^[0-9]+ \([^)]*\) /, "")	# pid and name: fields move by 2
		if (++n == 1) t += $14 + $15	# the postmaster: cutime, cstime
		else t += $12 + $13 + $14 + $15
	} END { printf "%.2f\n", t / hz }'
}

# --- import ------------------------------------------------------------------
total=0 rss=0 first= last= ccpu=0 scpu=0 fcpu= lcpu=
load0=$(cut -d' ' -f1 /proc/loadavg)
[ -n "$reuse" ] ||
	say "import of $MESSAGES messages (load average $(cut -d' ' -f1-3 /proc/loadavg))"
for s in "$W"/slices/*; do
	[ -f "$s" ] || continue
	n=$(grep -c '^From ' "$s")
	s0=$(server_cpu)
	t0=$(now)
	/usr/bin/time -f '%M %U %S' -o "$W/rss" "$O/bin/pw-ingress" -q \
		--mbox "$s" >"$W/summary.$(basename "$s")"
	t1=$(now)
	# the backend's CPU counts once it has exited and been reaped
	i=0
	while [ $i -lt 50 ] && [ -n "$(psql -X -A -t -c "SELECT 1 FROM
		pg_stat_activity WHERE application_name LIKE 'pw-ingress%'")" ]; do
		sleep 0.1; i=$((i + 1))
	done
	s1=$(server_cpu)
	read -r r cu cs <"$W/rss"
	[ "$r" -gt "$rss" ] && rss=$r
	el=$(echo "$t1 - $t0" | bc -l)
	total=$(echo "$total + $el" | bc -l)
	rate=$(echo "$n / $el" | bc -l)
	c=$(echo "$cu + $cs" | bc -l)
	sv=$(echo "$s1 - $s0" | bc -l)
	ccpu=$(echo "$ccpu + $c" | bc -l)
	scpu=$(echo "$scpu + $sv" | bc -l)
	# CPU per mail, client + server, in ms
	pm_ms=$(echo "1000 * ($c + $sv) / $n" | bc -l)
	[ -z "$first" ] && first=$rate fcpu=$pm_ms
	last=$rate lcpu=$pm_ms
	say "slice $(basename "$s"): $n messages in $(printf %.1f "$el") s, $(printf %.0f "$rate")/s; CPU per mail: client $(printf %.3f "$(echo "1000 * $c / $n" | bc -l)") ms, server $(printf %.3f "$(echo "1000 * $sv / $n" | bc -l)") ms; load $(cut -d' ' -f1 /proc/loadavg)"
done
load1=$(cut -d' ' -f1 /proc/loadavg)
import_rate=-
[ -n "$reuse" ] || import_rate=$(echo "$MESSAGES / $total" | bc -l)
stored=$(psql -X -A -t -c "SELECT count(*) FROM mail")

if [ "${IMPORT_ONLY:-0}" = 1 ]; then
	cat <<-EOF
	| measure | result | target |
	| --- | --- | --- |
	| archive import, $MESSAGES messages, end to end | $(printf %.0f "$import_rate") msg/s ($(printf %.1f "$total") s) | >= 2,000 msg/s |
	| import CPU per mail, client / server | $(printf %.3f "$(echo "1000 * $ccpu / $MESSAGES" | bc -l)") / $(printf %.3f "$(echo "1000 * $scpu / $MESSAGES" | bc -l)") ms | |
	| import rate, first tenth / last tenth | $(printf %.0f "$first") / $(printf %.0f "$last") msg/s | no decline |
	| import CPU per mail, first tenth / last tenth | $(printf %.3f "$fcpu") / $(printf %.3f "$lcpu") ms | no growth |
	| import max RSS | $((rss / 1024)) MB | < 64 MB |
	| load average, start / end of import | $load0 / $load1 | |
	EOF
	exit 0
fi

# --- pipe --------------------------------------------------------------------
# pipe_vs_floor LIST CMD [ARG...]: each mail of LIST on the stdin of the
# floor, then of CMD; prints the two medians in ms.
pipe_vs_floor() {
	perl -MTime::HiRes=time -e '
	my ($floor, $list, @pipe) = @ARGV;
	open(my $l, "<", $list) or die;
	my (@f, @p);
	while (my $m = <$l>) {
		chomp $m;
		for my $which (0, 1) {
			open(STDIN, "<", $m) or die;
			my $t = time;
			my $rc = system($which ? @pipe : ($floor));
			my $e = time - $t;
			die "exit $rc" if $rc != 0;
			push @{$which ? \@p : \@f}, $e;
		}
	}
	@f = sort { $a <=> $b } @f; @p = sort { $a <=> $b } @p;
	printf "%.2f %.2f\n", 1000 * $f[@f / 2], 1000 * $p[@p / 2];
' "$O/floor-connect" "$@"
}

say "pipe: $PIPE_RUNS mails, alternating with the floor"
ls "$W"/mails/* | head -n "$PIPE_RUNS" >"$W/pipe-list"
pipe_vs_floor "$W/pipe-list" "$O/bin/pw-ingress" >"$W/pipe"
read floor_ms pipe_ms <"$W/pipe"

# --- pipe via the resident service ------------------------------------------
say "pipe via the resident service: $PIPE_RUNS other mails, alternating with the floor"
ls "$W"/mails/* | sed -n "$((PIPE_RUNS + 1)),$((2 * PIPE_RUNS))p" >"$W/fwd-list"
rm -f "$W/sock/ingress.sock"
printf 'ingress {\n\tsocket = "%s"\n}\n' "$W/sock/ingress.sock" >"$W/fwd.conf"
chmod 644 "$W/fwd.conf"
# no fork between us and it (runuser forks): $resident is the service
if [ -n "$as" ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$O/bin/pw-ingress" --lmtp --listen "$W/sock/ingress.sock" \
		--workers 2 2>"$W/resident.log" &
else
	"$O/bin/pw-ingress" --lmtp --listen "$W/sock/ingress.sock" \
		--workers 2 2>"$W/resident.log" &
fi
resident=$!
i=0
while [ ! -S "$W/sock/ingress.sock" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ -S "$W/sock/ingress.sock" ] || die "the resident service did not start"
fwd0=$(psql -X -A -t -c "SELECT count(*) FROM mail
	WHERE envelope_to = 'pw-ingress@localhost'")
pipe_vs_floor "$W/fwd-list" "$O/bin/pw-ingress" -c "$W/fwd.conf" >"$W/fwd"
read ffloor_ms fwd_ms <"$W/fwd"
fwd1=$(psql -X -A -t -c "SELECT count(*) FROM mail
	WHERE envelope_to = 'pw-ingress@localhost'")
kill "$resident" && wait "$resident" || :
resident=
# each mail went through the service, none the direct way
[ $((fwd1 - fwd0)) = "$PIPE_RUNS" ] ||
	die "resident: $((fwd1 - fwd0)) of $PIPE_RUNS mails went through the service"

# --- LMTP --------------------------------------------------------------------
lmtp_ms=-
[ -n "$PIPE_ONLY" ] || {
say "lmtp: one session of $LMTP_MAILS mails"
ls "$W"/mails/* | tail -n "$LMTP_MAILS" | while read -r m; do
	printf 'MAIL FROM:<bench@example.org>\r\nRCPT TO:<list@example.org>\r\nDATA\r\n'
	sed -e 's/^\./../' -e 's/$/\r/' "$m"
	printf '.\r\n'
done >"$W/session.body"
{ printf 'LHLO bench\r\n'; cat "$W/session.body"; printf 'QUIT\r\n'; } >"$W/session"
chmod 644 "$W/session"
t0=$(now)
$as "$O/bin/pw-ingress" --lmtp <"$W/session" >"$W/lmtp.out"
t1=$(now)
ok=$(grep -c '^250 2\.0\.0 <' "$W/lmtp.out" || :)
[ "$ok" = "$LMTP_MAILS" ] || die "lmtp: $ok of $LMTP_MAILS accepted"
lmtp_ms=$(echo "1000 * ($t1 - $t0) / $LMTP_MAILS" | bc -l)
}

# --- report ------------------------------------------------------------------
if [ -n "$reuse" ]; then
	imp="- ($stored messages already stored)" tenths=- rssmb=-
	cpu=- cputenths=- loads=-
else
	imp="$(printf %.0f "$import_rate") msg/s ($(printf %.1f "$total") s)"
	tenths="$(printf %.0f "$first") / $(printf %.0f "$last") msg/s"
	rssmb="$((rss / 1024)) MB"
	cpu="$(printf %.3f "$(echo "1000 * $ccpu / $MESSAGES" | bc -l)") / $(printf %.3f "$(echo "1000 * $scpu / $MESSAGES" | bc -l)") ms"
	cputenths="$(printf %.3f "$fcpu") / $(printf %.3f "$lcpu") ms"
	loads="$load0 / $load1"
fi
[ "$lmtp_ms" = - ] || lmtp_ms=$(printf %.2f "$lmtp_ms")
cat <<EOF
| measure | result | target |
| --- | --- | --- |
| archive import, $MESSAGES messages, end to end | $imp | >= 2,000 msg/s |
| import CPU per mail, client / server | $cpu | |
| import rate, first tenth / last tenth | $tenths | no decline |
| import CPU per mail, first tenth / last tenth | $cputenths | no growth |
| import max RSS | $rssmb | < 64 MB |
| load average, start / end of import | $loads | |
| pipe mode, median wall time per mail | $pipe_ms ms | <= 1.5 x floor |
| floor: connect and exit, median | $floor_ms ms | |
| pipe / floor | $(printf %.2f "$(echo "$pipe_ms / $floor_ms" | bc -l)") | <= 1.5 |
| pipe via resident service, median wall time per mail | $fwd_ms ms | <= 1.5 x floor |
| floor, alternating with it, median | $ffloor_ms ms | |
| pipe via resident service / floor | $(printf %.2f "$(echo "$fwd_ms / $ffloor_ms" | bc -l)") | <= 1.5 |
| LMTP, $LMTP_MAILS mails in one session | $lmtp_ms ms per mail | <= 5 ms |
EOF
say "journal entries after the run: $stored (import)"
