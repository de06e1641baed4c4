#!/bin/sh
# A real MTA: a private Postfix instance on 127.0.0.1 takes mail over
# SMTP and delivers it (a) through a pipe(8) transport to `pw ingress`
# and (b) over LMTP to `pw ingress --lmtp`, one process per connection
# as the pw-lmtp.socket unit (Accept=yes) runs it.  Then the proof that
# matters: with PostgreSQL stopped, Postfix defers the mails (they wait
# in its queue, nothing bounces); once PostgreSQL is back and the queue
# is flushed, every mail is stored exactly once.
#
# The instance is Debian's postfix package with its own config, queue
# and data directories under /tmp ($PFDIR); its master runs as root (so
# the script needs root), the deliveries as nobody, like the test
# PostgreSQL.  Installing the package leaves it unconfigured, so the
# system's own instance never starts.  The configuration is the one
# docs/postfix.md describes: a relay domain with a recipients table and a
# transport table, a pipe service with destination_recipient_limit 1, an
# unchrooted lmtp service of its own.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh

[ "$(id -u)" = 0 ] ||
	skip_all "needs root: Postfix's master runs as root"

PF_SBIN=/usr/sbin
if [ ! -x "$PF_SBIN/postfix" ]; then
	# No configuration: the package then creates no main.cf and starts
	# nothing.  Should a master have been started all the same, stop it.
	{
		echo 'postfix postfix/main_mailer_type select No configuration' |
			debconf-set-selections &&
		{
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends postfix ||
			{ apt-get update -q &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends postfix; }
		}
	} >"$TRASH/install.log" 2>&1 ||
		skip_all "postfix is absent and apt-get could not install it"
	pid=$(cat /var/spool/postfix/pid/master.pid 2>/dev/null | tr -d ' ')
	if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid")" = master ]; then
		kill "$pid"
	fi
fi
id postfix >/dev/null 2>&1 || skip_all "postfix is installed but has no postfix user"
test_need_cmd python3

test_setup_db
. "$T_DIR"/lib-ingest.sh

PFDIR=$(mktemp -d /tmp/pwp.XXXXXX)
chmod 755 "$PFDIR"
PFCONF=$PFDIR/etc
test_atexit "rm -rf '$PFDIR'"
test_atexit "cp '$PFDIR/maillog' '$TRASH/maillog'"
mkdir "$PFCONF" "$PFDIR/queue" "$PFDIR/data" "$PFDIR/out"
chown postfix "$PFDIR/data"
chown nobody "$PFDIR/out"

# The site's configuration, as the deliveries read it.
cat >"$PFDIR/patchwork.conf" <<EOF
database {
	url = "$PW_DATABASE_URL"
}
EOF
chmod 644 "$PFDIR/patchwork.conf"

pw admin project create -n "Pipe" -l pipe -i pipe.patches.test \
	-e list@pipe.patches.test >/dev/null &&
pw admin project create -n "LMTP" -l lmtp -i lmtp.patches.test \
	-e list@lmtp.patches.test >/dev/null ||
	{ echo "Bail out! pw admin project create failed"; exit 1; }

# LMTP server: one `pw ingress --lmtp` per connection on a unix socket.
# systemd-socket-activate does what pw-lmtp.socket with Accept=yes does;
# without it (or with PW_TEST_LMTP=spawn), Postfix's own spawn(8) plays
# inetd.
mkdir "$PFDIR/lmtp" && chown nobody "$PFDIR/lmtp"
LMTP_SOCK=$PFDIR/lmtp/sock
if [ "${PW_TEST_LMTP:-}" != spawn ] &&
   command -v systemd-socket-activate >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		sh -c 'exec systemd-socket-activate -a --inetd -l "$1" \
			"$2" --lmtp -c "$3"' sh "$LMTP_SOCK" "$PW_BIN/pw-ingress" \
		"$PFDIR/patchwork.conf" 2>>"$TRASH/lmtp.log" &
	LMTP_PID=$!
	test_atexit "kill $LMTP_PID; wait $LMTP_PID"
	i=0
	while [ ! -S "$LMTP_SOCK" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { cat "$TRASH/lmtp.log"; echo "Bail out! no LMTP socket"; exit 1; }
		sleep 0.05
	done
	# As pw-lmtp.socket's SocketUser, SocketGroup and SocketMode.
	chgrp postfix "$LMTP_SOCK" && chmod 660 "$LMTP_SOCK" ||
		{ echo "Bail out! cannot chmod the LMTP socket"; exit 1; }
	lmtp_nexthop=patchwork-lmtp:unix:$LMTP_SOCK
	lmtp_spawn=
	say "LMTP through systemd-socket-activate"
else
	lmtp_nexthop=patchwork-lmtp:unix:private/pwlmtp
	lmtp_spawn="pwlmtp unix - n n - 4 spawn
  user=nobody argv=$PW_BIN/pw-ingress --lmtp -c $PFDIR/patchwork.conf"
	say "LMTP through postfix spawn(8)"
fi

# Mail that must not leave: bounces, delay notices, the postmaster's
# notices.  It all goes to sender.test, which lands in $PFDIR/out.
cat >"$PFDIR/capture" <<\EOF
#!/bin/sh
cat >"$(mktemp "$1/mail.XXXXXX")"
EOF
chmod 755 "$PFDIR/capture"

cat >"$PFCONF/transport" <<EOF
list@pipe.patches.test	patchwork:
other@pipe.patches.test	patchwork:
list@lmtp.patches.test	$lmtp_nexthop
sender.test		capture:
EOF
cat >"$PFCONF/recipients" <<\EOF
list@pipe.patches.test	x
other@pipe.patches.test	x
list@lmtp.patches.test	x
EOF

pf_config() {
	cat >"$PFCONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PFDIR/queue
data_directory = $PFDIR/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PFDIR/maillog
maillog_file_prefixes = $PFDIR
myhostname = mx.patches.test
mydomain = patches.test
myorigin = sender.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
local_recipient_maps =
relay_domains = pipe.patches.test lmtp.patches.test
relay_recipient_maps = texthash:$PFCONF/recipients
transport_maps = texthash:$PFCONF/transport
default_transport = error:5.7.1 nothing leaves this test
relay_transport = error:5.7.1 nothing leaves this test
local_transport = error:5.7.1 nothing leaves this test
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
# pipe(8) expands \${recipient} to one argument per recipient: one each.
patchwork_destination_recipient_limit = 1
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
	ASAN_OPTIONS=$ASAN_OPTIONS LSAN_OPTIONS=$LSAN_OPTIONS
	UBSAN_OPTIONS=$UBSAN_OPTIONS
export_environment = TZ MAIL_CONFIG LANG ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
EOF
	cat >"$PFCONF/master.cf" <<EOF
127.0.0.1:$1 inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
patchwork-lmtp unix -   -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
patchwork unix  -       n       n       -       4       pipe
  flags=q user=nobody argv=$PW_BIN/pw-ingress -c $PFDIR/patchwork.conf
  --list-id pipe.patches.test -f \${sender} -r \${recipient}
capture   unix  -       n       n       -       1       pipe
  user=nobody argv=$PFDIR/capture $PFDIR/out
$lmtp_spawn
EOF
}

pf() {
	"$PF_SBIN/postfix" -c "$PFCONF" "$@"
}

# Start on a free port; another may take it first, so try a few.
SMTP_PORT=
for try in 1 2 3 4 5; do
	port=$(test_free_port)
	pf_config "$port" || { echo "Bail out! cannot write the postfix configuration"; exit 1; }
	pf check >>"$TRASH/postfix.log" 2>&1 ||
		{ cat "$TRASH/postfix.log"; echo "Bail out! postfix check failed"; exit 1; }
	if pf start >>"$TRASH/postfix.log" 2>&1; then
		test_atexit "pf stop"
		if python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5).close()' "$port" \
			2>/dev/null; then
			SMTP_PORT=$port
			break
		fi
		pf stop >/dev/null 2>&1
	fi
done
[ -n "$SMTP_PORT" ] || { cat "$TRASH/postfix.log" "$PFDIR/maillog"; echo "Bail out! postfix did not start"; exit 1; }

# submit RCPT[,RCPT...] FILE...: one SMTP session, each FILE a mail from
# alice@sender.test to the RCPTs.
submit() {
	python3 - "$SMTP_PORT" "$@" <<\EOF
import smtplib, sys
port, rcpt, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
for f in files:
    with open(f, "rb") as fp:
        s.sendmail("alice@sender.test", rcpt.split(","), fp.read())
s.quit()
EOF
}

# The mails in the queue, one line each: queue, sender, delay reasons.
queue() {
	"$PF_SBIN/postqueue" -c "$PFCONF" -j | python3 -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    print(m["queue_name"], m["sender"] or "<>",
          " ".join(r.get("delay_reason", "-") for r in m["recipients"]))'
}

# wait_for CMD...: until CMD succeeds, 30 s at most.
wait_for() {
	local i=0
	until "$@"; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			echo "timed out waiting for: $*" >&2
			tail -n 30 "$PFDIR/maillog" >&2
			return 1
		fi
		sleep 0.1
	done
}

# stored MSGID...: each is in the journal once, stored, delivered once.
stored_once() {
	local m got
	for m in "$@"; do
		got=$(sql -c "SELECT count(*) || ' ' || min(status) || ' ' ||
			max(attempts) || ' ' || coalesce(max(reason), '-')
			FROM mail WHERE msgid = '<$m>'")
		if [ "$got" != "1 stored 1 -" ]; then
			echo "$m: $got" >&2
			return 1
		fi
	done
}

# journaled MSGID...: wait until each is in the journal.
journaled() {
	local m
	for m in "$@"; do
		[ "$(sql -c "SELECT count(*) FROM mail WHERE msgid = '<$m>'")" -gt 0 ] ||
			return 1
	done
}

queue_empty() {
	[ -z "$("$PF_SBIN/postqueue" -c "$PFCONF" -j)" ]
}

# deferred N: N mails in the queue, each tried at least once.  (A mail
# that qmgr moves between queue directories while showq reads them may
# be missed: callers retry with wait_for.)
deferred() {
	queue >q &&
	[ "$(wc -l <q)" = "$1" ] &&
	! grep -q -e " -$" -e " - " q
}

# The objects a project holds: kind, msgid, series, in order.
objects() {
	sql -c "SELECT 'cover', btrim(c.msgid, '<>'), s.name, s.total, s.version
		FROM cover c JOIN series s ON s.cover_letter_id = c.id
		JOIN project p ON p.id = c.project_id WHERE p.linkname = '$1'
		UNION ALL
		SELECT 'patch', btrim(pa.msgid, '<>'), s.name, s.total, s.version
		FROM patch pa JOIN series s ON s.id = pa.series_id
		JOIN project p ON p.id = pa.project_id WHERE p.linkname = '$1'
		UNION ALL
		SELECT 'comment', btrim(pc.msgid, '<>'), btrim(pa.msgid, '<>'), 0, 0
		FROM patch_comment pc JOIN patch pa ON pa.id = pc.patch_id
		JOIN project p ON p.id = pa.project_id WHERE p.linkname = '$1'
		ORDER BY 1, 2"
}

no_bounces() {
	! ls "$PFDIR/out" | grep . &&
	! grep "status=bounced" "$PFDIR/maillog" &&
	! queue | grep "^[a-z]* <>"
}

# (a) pipe: no List-Id, --list-id decides.  (b) LMTP: by List-Id.
# p1/l1 go in while PostgreSQL is up, p2/l2 (a v2, and replies to
# patches of v1) while it is down.  A reply is sent only once its patch
# is stored: Postfix delivers a backlog in parallel and in no set order,
# and a reply that overtakes its patch is dropped (as Django Patchwork
# drops it), so the replies of the outage answer patches from before.
mkdir m
mkmail series m p1 2 --cover --list "" &&
mkmail --msgid p1-r@example.org --subject "Re: [PATCH 1/2] p1: change 1" \
	--irt p1-1@example.org --refs p1-0@example.org --file "" --list "" \
	--body "Reviewed-by: Bob <bob@example.org>" >m/p1-r &&
mkmail series m l1 2 --cover --list lmtp.patches.test &&
mkmail --msgid l1-r@example.org --subject "Re: [PATCH 2/2] l1: change 2" \
	--irt l1-2@example.org --refs l1-0@example.org --file "" \
	--list lmtp.patches.test --body "Acked-by: Bob <bob@example.org>" >m/l1-r &&
mkmail series m p2 3 --cover --version 2 --list "" &&
mkmail --msgid p2-r@example.org --subject "Re: [PATCH 2/2] p1: change 2" \
	--irt p1-2@example.org --refs p1-0@example.org --file "" --list "" \
	--body "Tested-by: Bob <bob@example.org>" >m/p2-r &&
mkmail series m l2 3 --cover --version 2 --list lmtp.patches.test &&
mkmail --msgid l2-r@example.org --subject "Re: [PATCH 1/2] l1: change 1" \
	--irt l1-1@example.org --refs l1-0@example.org --file "" \
	--list lmtp.patches.test --body "Tested-by: Bob <bob@example.org>" >m/l2-r ||
	{ echo "Bail out! mkmail failed"; exit 1; }

test_expect_success 'pipe(8): a series and a reply, submitted over SMTP, are stored' '
	submit list@pipe.patches.test m/p1-00 m/p1-01 m/p1-02 &&
	wait_for journaled p1-0@example.org p1-1@example.org p1-2@example.org &&
	submit list@pipe.patches.test m/p1-r &&
	wait_for journaled p1-r@example.org &&
	stored_once p1-0@example.org p1-1@example.org p1-2@example.org \
		p1-r@example.org &&
	cat >expect <<-\EOF &&
	comment|p1-r@example.org|p1-1@example.org|0|0
	cover|p1-0@example.org|p1 series|2|1
	patch|p1-1@example.org|p1 series|2|1
	patch|p1-2@example.org|p1 series|2|1
	EOF
	objects pipe >actual &&
	test_cmp expect actual &&
	sql -c "SELECT DISTINCT forced_list_id, envelope_from, envelope_to
		FROM mail WHERE msgid LIKE '"'"'<p1-%'"'"'" >actual &&
	echo "pipe.patches.test|alice@sender.test|list@pipe.patches.test" >expect &&
	test_cmp expect actual &&
	wait_for queue_empty
'

# With patchwork_destination_recipient_limit = 1, each address is its own
# delivery of the same bytes: the second is a duplicate (attempts 2).
test_expect_success 'pipe(8): a mail to two addresses is stored once' '
	mkmail --msgid two@example.org --subject "[PATCH] twice" --list "" >m/two &&
	submit list@pipe.patches.test,other@pipe.patches.test m/two &&
	wait_for journaled two@example.org &&
	wait_for queue_empty &&
	sql -c "SELECT status, attempts, envelope_to IN ('"'"'list@pipe.patches.test'"'"',
		'"'"'other@pipe.patches.test'"'"') FROM mail
		WHERE msgid = '"'"'<two@example.org>'"'"'" >actual &&
	echo "stored|2|t" >expect &&
	test_cmp expect actual &&
	test "$(count patch "msgid = '"'"'<two@example.org>'"'"'")" = 1
'

test_expect_success 'LMTP: a series and a reply, submitted over SMTP, are stored' '
	submit list@lmtp.patches.test m/l1-00 m/l1-01 m/l1-02 &&
	wait_for journaled l1-0@example.org l1-1@example.org l1-2@example.org &&
	submit list@lmtp.patches.test m/l1-r &&
	wait_for journaled l1-r@example.org &&
	stored_once l1-0@example.org l1-1@example.org l1-2@example.org \
		l1-r@example.org &&
	cat >expect <<-\EOF &&
	comment|l1-r@example.org|l1-2@example.org|0|0
	cover|l1-0@example.org|l1 series|2|1
	patch|l1-1@example.org|l1 series|2|1
	patch|l1-2@example.org|l1 series|2|1
	EOF
	objects lmtp >actual &&
	test_cmp expect actual &&
	sql -c "SELECT DISTINCT list_id, envelope_from, envelope_to
		FROM mail WHERE msgid LIKE '"'"'<l1-%'"'"'" >actual &&
	echo "lmtp.patches.test|alice@sender.test|list@lmtp.patches.test" >expect &&
	test_cmp expect actual &&
	wait_for queue_empty
'

test_expect_success 'PostgreSQL down: postfix defers every mail, nothing bounces' '
	sent=$(grep -c "status=sent" "$PFDIR/maillog") &&
	test_stop_db &&
	test_when_finished test_start_db &&
	submit list@pipe.patches.test m/p2-00 m/p2-01 m/p2-02 m/p2-03 m/p2-r &&
	submit list@lmtp.patches.test m/l2-00 m/l2-01 m/l2-02 m/l2-03 m/l2-r &&
	wait_for deferred 10 &&
	cat q &&
	test "$(grep -c "^[a-z]* alice@sender.test " q)" = 10 &&
	grep "status=deferred" "$PFDIR/maillog" >deferrals &&
	grep -q "postfix/pipe.* relay=patchwork, .*try again later" deferrals &&
	grep -q "postfix/lmtp.* said: 451 4.3.0 " deferrals &&
	no_bounces &&
	sleep 3 &&
	wait_for deferred 10 &&
	no_bounces &&
	test "$(grep -c "status=sent" "$PFDIR/maillog")" = "$sent"
'

test_expect_success 'PostgreSQL back, queue flushed: every mail stored exactly once' '
	"$PF_SBIN/postqueue" -c "$PFCONF" -f &&
	wait_for queue_empty &&
	stored_once p2-0@example.org p2-1@example.org p2-2@example.org \
		p2-3@example.org p2-r@example.org l2-0@example.org \
		l2-1@example.org l2-2@example.org l2-3@example.org \
		l2-r@example.org &&
	cat >expect <<-\EOF &&
	comment|p1-r@example.org|p1-1@example.org|0|0
	comment|p2-r@example.org|p1-2@example.org|0|0
	cover|p1-0@example.org|p1 series|2|1
	cover|p2-0@example.org|p2 series|3|2
	patch|p1-1@example.org|p1 series|2|1
	patch|p1-2@example.org|p1 series|2|1
	patch|p2-1@example.org|p2 series|3|2
	patch|p2-2@example.org|p2 series|3|2
	patch|p2-3@example.org|p2 series|3|2
	patch|two@example.org|twice|1|1
	EOF
	objects pipe >actual &&
	test_cmp expect actual &&
	cat >expect.lmtp <<-\EOF &&
	comment|l1-r@example.org|l1-2@example.org|0|0
	comment|l2-r@example.org|l1-1@example.org|0|0
	cover|l1-0@example.org|l1 series|2|1
	cover|l2-0@example.org|l2 series|3|2
	patch|l1-1@example.org|l1 series|2|1
	patch|l1-2@example.org|l1 series|2|1
	patch|l2-1@example.org|l2 series|3|2
	patch|l2-2@example.org|l2 series|3|2
	patch|l2-3@example.org|l2 series|3|2
	EOF
	objects lmtp >actual &&
	test_cmp expect.lmtp actual &&
	test "$(sql -c "SELECT count(*) FROM mail")" = 19 &&
	test "$(sql -c "SELECT count(*) FROM mail WHERE status <> '"'"'stored'"'"'")" = 0 &&
	no_bounces
'

# The master and everything under it: its daemons, pipe(8)'s children.
descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1"); do
		echo "$c"
		descendants "$c"
	done
}

alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

test_expect_success 'postfix stops, and nothing of it is left running' '
	pid=$(tr -d " " <"$PFDIR/queue/pid/master.pid") &&
	test -n "$pid" && kill -0 "$pid" &&
	pids="$pid $(descendants $pid)" &&
	test $(echo $pids | wc -w) -gt 3 &&
	pf stop &&
	wait_for eval "! alive $(echo $pids)"
'

test_done
