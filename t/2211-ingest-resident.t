#!/bin/sh
# The resident ingest service (pw ingress --lmtp --listen) and the pipe
# helper's forwarding to it (ingress.socket): the same result as direct
# delivery, one warm backend per worker across mails, a direct delivery
# when the service is absent, 75 while the database is down, a clean stop.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

N=6		# patches in the series
P=8		# deliveries at once
SOCK=$PGDIR/sock/ingress.sock	# nobody may create it there

add_project test test.example.org

printf 'ingress {\n\tsocket = "%s"\n}\n' "$SOCK" >fwd.conf
printf 'ingress {\n\tsocket = "%s"\n}\n' "$PGDIR/sock/absent.sock" >absent.conf

# The service runs as nobody (it refuses root), without a fork between
# us and it, so that $DAEMON is its pid.
start_daemon() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			pw ingress --lmtp --listen "$SOCK" --workers 2 -v 2>daemon.log &
	else
		pw ingress --lmtp --listen "$SOCK" --workers 2 -v 2>daemon.log &
	fi
	DAEMON=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	test -S "$SOCK"
}
test_atexit 'kill $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; true'

# The ingest backends now connected, by pid.
backends() {
	sql -c "SELECT pid FROM pg_stat_activity
		WHERE application_name = 'pw-ingress' ORDER BY pid"
}

reset() {
	sql -c "TRUNCATE mail, event, patch_tag, patch_comment, cover_comment,
		series_dependency, series_reference, patch, series, cover, person
		RESTART IDENTITY CASCADE"
}

test_expect_success 'setup: a series with a cover and replies; the service' '
	mkdir m &&
	mkmail series m v1 $N --cover &&
	mkmail --msgid r1@x --subject "Re: [PATCH 2/$N] v1: change 2" \
		--irt v1-2@example.org --file "" --date 1700000100 \
		--body "Reviewed-by: R <r@example.org>" >m/zz-r1 &&
	mkmail --msgid r2@x --subject "Re: [PATCH 0/$N] v1 series" \
		--irt v1-0@example.org --file "" --date 1700000200 \
		--body "Acked-by: A <a@example.org>" >m/zz-r2 &&
	start_daemon &&
	test "$(backends | wc -l)" = 2
'

test_expect_success 'forwarded, 8 at once: the same as direct, one by one' '
	for f in m/*; do deliver $f || return 1; done &&
	dump_all >expect &&
	test "$(count mail "envelope_to IS NULL")" = $((N + 3)) &&
	reset &&
	backends >before &&
	ls m/* | xargs -P $P -n 1 sh -c "pw ingress -c fwd.conf <\"\$1\"" sh &&
	dump_all >actual &&
	test_cmp expect actual &&
	test "$(count mail "envelope_to = '"'"'pw-ingress@localhost'"'"'")" = $((N + 3)) &&
	test "$(count patch_comment)" = 1 && test "$(count cover_comment)" = 1 &&
	backends >after &&
	test_cmp before after
'

test_expect_success 'the envelope rides along: -f/-r, else $SENDER' '
	mkmail --msgid e1@x --subject "[PATCH] e1" >e1 &&
	mkmail --msgid e2@x --subject "[PATCH] e2" >e2 &&
	pw ingress -c fwd.conf -f s@example.org -r list@test.example.org <e1 &&
	SENDER=e@example.org pw ingress -c fwd.conf <e2 &&
	test "$(sql -c "SELECT envelope_from || '"'"' -> '"'"' || envelope_to FROM mail WHERE msgid = '"'"'<e1@x>'"'"'")" = "s@example.org -> list@test.example.org" &&
	test "$(sql -c "SELECT envelope_from FROM mail WHERE msgid = '"'"'<e2@x>'"'"'")" = e@example.org
'

test_expect_success 'a duplicate is 0, as directly' '
	pw ingress -c fwd.conf <m/v1-01 &&
	test "$(count patch "msgid = '"'"'<v1-1@example.org>'"'"'")" = 1
'

test_expect_success 'a line starting with a dot survives the forwarding' '
	mkmail --msgid dots@x --subject "[PATCH] dots" \
		--body "Leading dots:\n.hidden\n..two\n.\nend" >dots &&
	pw ingress -c fwd.conf <dots &&
	sql -c "SELECT content FROM patch WHERE msgid = '"'"'<dots@x>'"'"'" >content &&
	grep -x ".hidden" content && grep -x "..two" content && grep -x "." content
'

test_expect_success 'service absent: the helper delivers directly' '
	mkmail --msgid absent@x --subject "[PATCH] no service" >absent &&
	pw ingress -c absent.conf <absent &&
	test "$(count mail "msgid = '"'"'<absent@x>'"'"' AND envelope_to IS NULL")" = 1 &&
	test "$(count patch "msgid = '"'"'<absent@x>'"'"'")" = 1
'

test_expect_success 'database down under the service: 75; back up: stored' '
	mkmail --msgid down@x --subject "[PATCH] while down" >down &&
	test_stop_db &&
	test_expect_code 75 pw ingress -c fwd.conf <down 2>err &&
	grep "resident service: 451" err &&
	test_start_db &&
	pw ingress -c fwd.conf <down &&
	test "$(count patch "msgid = '"'"'<down@x>'"'"'")" = 1
'

test_expect_success 'SIGTERM stops the service and its workers' '
	ps -o pid= --ppid $DAEMON >workers &&
	test "$(wc -l <workers)" = 2 &&
	kill $DAEMON && wait $DAEMON &&
	for w in $(cat workers); do ! kill -0 $w 2>/dev/null || return 1; done &&
	test ! -e "$SOCK" &&
	i=0 && while [ -n "$(backends)" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1)); done &&
	test -z "$(backends)" &&
	! grep "starting another\|Sanitizer\|runtime error" daemon.log
'

test_expect_success 'a worker that dies is replaced' '
	start_daemon &&
	ps -o pid= --ppid $DAEMON >workers &&
	kill -9 $(head -n 1 workers) &&
	i=0 && while ps -o pid= --ppid $DAEMON >now &&
		! { test "$(wc -l <now)" = 2 && ! grep -qx "$(head -n 1 workers)" now; } &&
		[ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	test "$(wc -l <now)" = 2 &&
	mkmail --msgid again@x --subject "[PATCH] after a crash" >again &&
	pw ingress -c fwd.conf <again &&
	test "$(count mail "msgid = '"'"'<again@x>'"'"' AND envelope_to IS NOT NULL")" = 1 &&
	kill $DAEMON && wait $DAEMON
'

test_expect_success 'a socket from systemd (Accept=no)' '
	if ! command -v systemd-socket-activate >/dev/null; then
		echo "# no systemd-socket-activate: skipped"; return 0; fi &&
	as= &&
	if [ "$(id -u)" = 0 ]; then
		as="setpriv --reuid=nobody --regid=nogroup --clear-groups"; fi &&
	systemd-socket-activate -l "$SOCK" -E PW_DATABASE_URL -E PW_CONFIG $as \
		pw ingress --lmtp --listen "$SOCK" --workers 1 -v 2>sd.log &
	sd=$! &&
	test_when_finished "kill $sd 2>/dev/null; wait $sd 2>/dev/null; true" &&
	i=0 && while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1)); done &&
	mkmail --msgid sd@x --subject "[PATCH] socket activation" >sd &&
	pw ingress -c fwd.conf <sd &&
	test "$(count mail "msgid = '"'"'<sd@x>'"'"' AND envelope_to IS NOT NULL")" = 1 &&
	grep "from systemd" sd.log &&
	kill $sd && wait $sd
'

test_done
