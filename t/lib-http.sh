# t/lib-http.sh: driving pw.fcgi.  Source it after lib.sh:
#
#	. "$(dirname "$0")"/lib.sh
#	. "$T_DIR"/lib-http.sh
#
# As CGI (no sockets, no nginx; STYLE 8.4):
#
#	pw_get PATH [QUERY [NAME=VALUE...]]
#	pw_post PATH BODY [CONTENT-TYPE [NAME=VALUE...]]
#	pw_request METHOD PATH [QUERY [NAME=VALUE...]]   (body: $PW_BODY)
#
# run $PW_BIN/pw.fcgi once with REQUEST_METHOD, REQUEST_URI, QUERY_STRING,
# HTTP_HOST (testserver, as in Django's test client), SERVER_NAME and
# SERVER_PORT set, plus CONTENT_TYPE and CONTENT_LENGTH for a body and any
# NAME=VALUE given, and leave the response split into ./headers (CRs
# removed) and ./body.  They succeed when pw.fcgi produced a response,
# whatever its status: check it with http_status or grep headers.
#
# Over a real socket (family 9):
#
#	test_start_http [WORKERS]
#
# starts a pw.fcgi pool (-s on a unix socket) and nginx with the server
# block of etc/nginx/patchwork.conf on a free 127.0.0.1 port (or the one
# test_pick_port chose, to put it in http.base_url first), exports
# HTTP_URL (http://127.0.0.1:PORT), POOL_PID and NGINX_PID, and stops both
# when the script ends.  Sockets, logs and nginx's temporary files live in
# a directory under /tmp ($HTTPDIR): when root, nginx's workers and the
# pool's workers run as nobody, who must be able to reach them.  pw.fcgi
# reads the configuration the script set up (PW_CONFIG, PW_DATABASE_URL).

PW_HOST=${PW_HOST:-testserver}

pw_request() {
	local method=$1 path=$2 query= uri
	shift 2
	if [ $# -gt 0 ]; then
		query=$1
		shift
	fi
	uri=$path
	[ -n "$query" ] && uri="$path?$query"
	set -- REQUEST_METHOD="$method" REQUEST_URI="$uri" \
		QUERY_STRING="$query" HTTP_HOST="$PW_HOST" \
		SERVER_NAME=testserver SERVER_PORT=80 "$@"
	if [ -n "${PW_BODY+set}" ]; then
		printf '%s' "$PW_BODY" > .request-body
		set -- CONTENT_LENGTH="$(wc -c < .request-body | tr -d ' ')" "$@"
	else
		: > .request-body
	fi
	env "$@" "$PW_BIN/pw.fcgi" < .request-body > .response 2> .response-err
	_pw_rc=$?
	cat .response-err >&2
	if [ "$_pw_rc" != 0 ]; then
		echo "pw.fcgi exited $_pw_rc" >&2
		return 1
	fi
	_pw_split .response
}

# Split a CGI response at the first empty line into ./headers and ./body.
_pw_split() {
	perl -e '
		local $/; open(my $in, "<", $ARGV[0]) or die "$ARGV[0]: $!";
		binmode $in; my $r = <$in>;
		my $i = index($r, "\r\n\r\n");
		die "no end of headers in the response\n" if $i < 0;
		my $h = substr($r, 0, $i); $h =~ s/\r//g;
		open(my $H, ">", "headers") or die; print $H "$h\n";
		open(my $B, ">", "body") or die; binmode $B;
		print $B substr($r, $i + 4);
	' "$1"
}

pw_get() {
	local path=$1
	shift
	(unset PW_BODY; pw_request GET "$path" "$@")
}

pw_post() {
	local path=$1 body=$2 ctype=${3:-application/x-www-form-urlencoded}
	shift 2
	if [ $# -gt 0 ]; then
		shift
	fi
	PW_BODY=$body pw_request POST "$path" "" CONTENT_TYPE="$ctype" "$@"
}

# The status of the last response (from ./headers).
http_status() {
	sed -n 's/^Status: \([0-9][0-9][0-9]\).*/\1/p' headers
}

# http_header NAME: the value of a header of the last response.
http_header() {
	sed -n "s/^$1: //Ip" headers | head -n 1
}

# test_expect_status N: the last response had status N.
test_expect_status() {
	local got
	got=$(http_status)
	if [ "$got" != "$1" ]; then
		echo "expected status $1, got ${got:-none}" >&2
		{ cat headers body; echo; } >&2
		return 1
	fi
}

# A pool and nginx ----------------------------------------------------

# A TCP port on 127.0.0.1 nothing uses: below the kernel's ephemeral
# range (outgoing connections take those), not listening, not connected.
test_free_port() {
	local p used lo
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 20000 ] 2>/dev/null || lo=60000
	used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
	while :; do
		p=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % (lo - 10000)))
		printf '%s\n' "$used" | grep -qx "$p" || break
	done
	echo "$p"
}

# test_pick_port: choose the port test_start_http will use, before it
# starts, and export HTTP_PORT and HTTP_URL (for http.base_url).
test_pick_port() {
	HTTP_PORT=$(test_free_port)
	HTTP_URL=http://127.0.0.1:$HTTP_PORT
	export HTTP_PORT HTTP_URL
}

# Run as nobody when root (like the PostgreSQL of lib.sh).
_http_user() {
	[ "$(id -u)" = 0 ] && echo nobody
}

test_start_http() {
	local workers=${1:-2} port try i user
	test_need_cmd nginx
	test_need_cmd curl
	user=$(_http_user)
	HTTPDIR=$(mktemp -d /tmp/pwh.XXXXXX)
	chmod 755 "$HTTPDIR"
	mkdir "$HTTPDIR/static"
	[ -n "$user" ] && chown "$user" "$HTTPDIR"
	export HTTPDIR
	test_atexit "test_stop_http; rm -rf '$HTTPDIR'"

	"$PW_BIN/pw.fcgi" -s "$HTTPDIR/pw.sock" -w "$workers" \
		${user:+-u "$user"} 2>>"$TRASH/pool.log" &
	POOL_PID=$!
	i=0
	while [ ! -S "$HTTPDIR/pw.sock" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$POOL_PID" 2>/dev/null; then
			cat "$TRASH/pool.log"
			echo "Bail out! pw.fcgi pool did not start"
			exit 1
		fi
		sleep 0.05
	done

	for try in 1 2 3 4 5; do
		port=${HTTP_PORT:-$(test_free_port)}
		sh "$SRC_DIR/tools/nginx-conf" "$HTTPDIR" "127.0.0.1:$port" \
			"$HTTPDIR/pw.sock" "$HTTPDIR/static" 10m "$user" || exit 1
		nginx -e "$HTTPDIR/nginx-error.log" -p "$HTTPDIR" \
			-c "$HTTPDIR/nginx.conf" 2>>"$TRASH/nginx.log" &
		NGINX_PID=$!
		i=0
		while kill -0 "$NGINX_PID" 2>/dev/null; do
			if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
				HTTP_URL=http://127.0.0.1:$port
				export HTTP_URL POOL_PID NGINX_PID
				return 0
			fi
			i=$((i + 1))
			[ $i -gt 200 ] && break
			sleep 0.05
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		[ -n "${HTTP_PORT:-}" ] && break
	done
	cat "$TRASH/nginx.log" "$HTTPDIR/nginx-error.log" 2>/dev/null
	echo "Bail out! nginx did not start"
	exit 1
}

test_stop_http() {
	if [ -n "${NGINX_PID:-}" ]; then
		kill -QUIT "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=
	fi
	if [ -n "${POOL_PID:-}" ]; then
		kill -TERM "$POOL_PID" 2>/dev/null
		wait "$POOL_PID" 2>/dev/null
		POOL_PID=
	fi
}

# The pids of the pool's workers, one a line.
pool_workers() {
	ps -o pid= --ppid "$1" | tr -d ' '
}

# http_get PATH: curl through nginx; status on stdout, body in ./body,
# headers in ./headers.
http_get() {
	curl -s -D headers.raw -o body -w '%{http_code}' "$HTTP_URL$1" &&
	tr -d '\r' < headers.raw > headers
}
