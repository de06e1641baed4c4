#!/bin/sh
# bench/floor.sh: the floor every endpoint is measured against.
#
#	sh bench/floor.sh            # 3 rounds of 10 s runs, 8 connections
#	ROUNDS=5 DURATION=30 CONNS=8 sh bench/floor.sh
#
# Builds pw.fcgi without sanitizers (-O2, into build/bench/) and
# bench/bare-fcgi.c, then measures with wrk, through one nginx configured
# from etc/nginx/patchwork.conf (access log off):
#
#   static     nginx serving a file as large as the /api/ index;
#   bare N     a bare libfcgi responder, N forked workers, fixed body;
#   pw.fcgi N  the pw.fcgi pool, N workers, GET /api/.
#
# and prints a Markdown table of medians over the rounds: requests/s, p99
# latency, the workers' mean RSS, and pw.fcgi as a percentage of the bare
# responder.  Needs
# nginx, libfcgi-dev and wrk (installed with apt-get when root).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10}
CONNS=${CONNS:-8}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
O=$top/build/bench

die() { printf 'floor: %s\n' "$*" >&2; exit 1; }

if ! command -v wrk >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || die "wrk is missing (apt-get install wrk)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null ||
		die "could not install wrk"
fi
command -v nginx >/dev/null 2>&1 || die "nginx is missing"

make -C "$top" --no-print-directory O=build/bench SANITIZE= \
	CFLAGS='-O2 -g' build/bench/bin/pw.fcgi >/dev/null
cc -O2 -Wall -o "$O/bare-fcgi" "$top/bench/bare-fcgi.c" -lfcgi

W=$(mktemp -d /tmp/pwbench.XXXXXX)
chmod 755 "$W"
user=
if [ "$(id -u)" = 0 ]; then
	user=nobody
	chown "$user" "$W"
fi

# A free port below the ephemeral range, which wrk's connections use.
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
while :; do
	PORT=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % (lo - 10000)))
	printf '%s\n' "$used" | grep -qx "$PORT" || break
done
URL=http://127.0.0.1:$PORT

nginx_pid= backend_pid=
cleanup() {
	[ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null && wait "$backend_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	rm -rf "$W"
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

cat >"$W/patchwork.conf" <<EOF
database {
	url = "host=/nonexistent dbname=patchwork"
}
http {
	base_url = "$URL"
}
EOF

mkdir "$W/static"
sh "$top/tools/nginx-conf" "$W" "127.0.0.1:$PORT" "$W/pw.sock" "$W/static" \
	10m "$user"
sed -i -e 's|^\([[:space:]]*access_log\) .*|\1 off;|' "$W/nginx.conf"
nginx -e "$W/nginx-error.log" -p "$W" -c "$W/nginx.conf" &
nginx_pid=$!

start_backend() {
	rm -f "$W/pw.sock"
	"$@" &
	backend_pid=$!
	i=0
	until [ -S "$W/pw.sock" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && die "backend did not start: $*"
		sleep 0.05
	done
	sleep 0.3	# let every worker reach accept()
}

stop_backend() {
	kill -TERM "$backend_pid"
	wait "$backend_pid" 2>/dev/null || true
	backend_pid=
}

# Mean RSS of the backend's workers, in MB.
rss() {
	ps -o rss= --ppid "$backend_pid" |
		awk '{ s += $1; n++ } END { printf "%.1f", n ? s / n / 1024 : 0 }'
}

# run KEY WORKERS PATH: warm up, measure, append "KEY WORKERS rps p99ms rss"
# to $W/results.
run() {
	wrk -t"$THREADS" -c"$CONNS" -d1s "$URL$3" >/dev/null
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$URL$3" \
		>"$W/wrk.out"
	if grep -q -e "Non-2xx" -e "Socket errors" "$W/wrk.out"; then
		cat "$W/wrk.out" >&2
		die "$1: errors during the run"
	fi
	mem=0
	[ -n "$backend_pid" ] && mem=$(rss)
	awk -v key="$1" -v n="$2" -v mem="$mem" '
		/^Requests\/sec:/ { rps = $2 }
		$1 == "99%" {
			v = $2 + 0
			if ($2 ~ /us$/) v /= 1000
			else if ($2 ~ /[0-9]s$/) v *= 1000
			p99 = v
		}
		END { printf "%s %s %.0f %.2f %s\n", key, n, rps, p99, mem }
	' "$W/wrk.out" >>"$W/results"
	printf '.' >&2
}

# median KEY WORKERS COLUMN
median() {
	awk -v k="$1" -v n="$2" '$1 == k && $2 == n' "$W/results" |
		sort -n -k"$3" | awk -v c="$3" '{ v[NR] = $c }
		END { print v[int((NR + 1) / 2)] }'
}

i=0
until curl -s -o /dev/null "$URL/static/"; do
	i=$((i + 1))
	[ $i -gt 100 ] && die "nginx did not start"
	sleep 0.05
done

echo "# $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# wrk -t$THREADS -c$CONNS -d${DURATION}s --latency; nginx $(nginx -v 2>&1 | sed 's/.*\///')"
echo
# Rounds alternate the servers, so that a change in the machine's load
# hits them alike; the table shows medians.
: >"$W/results"
round=0
while [ $round -lt "$ROUNDS" ]; do
	round=$((round + 1))
	# The static file: the same bytes the index answers.
	start_backend "$O/bin/pw.fcgi" -c "$W/patchwork.conf" -s "$W/pw.sock" \
		-w 1 ${user:+-u "$user"}
	curl -s -o "$W/static/index.json" "$URL/api/"
	stop_backend
	run static - /static/index.json
	for n in 2 4; do
		start_backend "$O/bare-fcgi" "$W/pw.sock" "$n"
		run bare "$n" /api/
		stop_backend
		start_backend "$O/bin/pw.fcgi" -c "$W/patchwork.conf" \
			-s "$W/pw.sock" -w "$n" ${user:+-u "$user"}
		run pw "$n" /api/
		stop_backend
	done
done
echo >&2

echo "| server | workers | req/s | p99 | worker RSS |"
echo "| --- | ---: | ---: | ---: | ---: |"
row() {
	rss=$(median "$2" "$3" 5)
	[ "$rss" = 0 ] && rss=- || rss="$rss MB"
	printf '| %s | %s | %s | %s ms | %s |\n' "$1" "$3" \
		"$(median "$2" "$3" 3)" "$(median "$2" "$3" 4)" "$rss"
}
row "nginx, static file" static -
for n in 2 4; do
	row "bare libfcgi responder" bare "$n"
	row "pw.fcgi, GET /api/" pw "$n"
done
echo
for n in 2 4; do
	b=$(median bare "$n" 3)
	p=$(median pw "$n" 3)
	echo "pw.fcgi with $n workers: $((100 * p / b)) % of the bare responder"
done
