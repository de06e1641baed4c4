#!/bin/sh
# pw ingress --lmtp: RFC 2033 on stdin/stdout; one reply per recipient,
# 250 or 451 (never 5xx for a mail), dot-unstuffing, a session that
# outlives a database restart.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org

# The helper refuses root: run it as nobody then (PGHOST and the build
# tree are reachable for nobody, as the server itself runs as nobody).
lmtp() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- pw ingress --lmtp "$@"
	else
		pw ingress --lmtp "$@"
	fi
}

# crlf FILE: the mail with CRLF line ends and leading dots doubled, ".".
data() {
	sed -e 's/^\./../' -e 's/$/\r/' "$1"
	printf '.\r\n'
}

replies() {
	tr -d '\r' | sed -e 's/ (journal entry [0-9]*)//' -e 's/^220 .*/220/' \
		-e '2s/^250-.*/250-host/'
}

test_expect_success 'a session: several recipients, two mails, dot-stuffing' '
	mkmail --msgid l1@x --subject "[PATCH] over lmtp" \
		--body "Leading dots:\n.hidden\n..two\n.\nend" >l1 &&
	mkmail --msgid l2@x --subject "Re: [PATCH] over lmtp" --irt l1@x \
		--file "" --body "Acked-by: L <l@example.org>" >l2 &&
	{
		printf "LHLO client.example.org\r\n"
		printf "MAIL FROM:<sender@example.org> BODY=8BITMIME\r\n"
		printf "RCPT TO:<list@example.org>\r\nRCPT TO:<other@example.org>\r\n"
		printf "DATA\r\n" && data l1
		printf "NOOP\r\nRSET\r\n"
		printf "MAIL FROM:<>\r\nRCPT TO:<list@example.org>\r\nDATA\r\n" && data l2
		printf "QUIT\r\n"
	} >session &&
	lmtp <session >out &&
	cat >expect <<-\EOF &&
	220
	250-host
	250-PIPELINING
	250-ENHANCEDSTATUSCODES
	250-SIZE 67108864
	250 8BITMIME
	250 2.1.0 Ok
	250 2.1.5 Ok
	250 2.1.5 Ok
	354 2.0.0 End data with <CR><LF>.<CR><LF>
	250 2.0.0 <list@example.org> stored
	250 2.0.0 <other@example.org> stored
	250 2.0.0 Ok
	250 2.0.0 Ok
	250 2.1.0 Ok
	250 2.1.5 Ok
	354 2.0.0 End data with <CR><LF>.<CR><LF>
	250 2.0.0 <list@example.org> stored
	221 2.0.0 Bye
	EOF
	replies <out >actual &&
	test_cmp expect actual &&
	test "$(count patch)" = 1 && test "$(count patch_comment)" = 1
'

test_expect_success 'the stored mail is the one sent: LF, dots unstuffed' '
	sql -c "SELECT encode(raw, '"'"'escape'"'"') FROM mail WHERE msgid = '"'"'<l1@x>'"'"'" >raw &&
	{ cat l1 && echo; } >expect &&
	test_cmp expect raw &&
	sql -c "SELECT content FROM patch" >content &&
	grep -x ".hidden" content && grep -x "..two" content && grep -x "." content &&
	test "$(sql -c "SELECT envelope_from || '"'"' -> '"'"' || envelope_to FROM mail WHERE msgid = '"'"'<l1@x>'"'"'")" = "sender@example.org -> list@example.org, other@example.org"
'

test_expect_success 'a malformed mail is accepted (250) and journaled' '
	printf "Subject: hello\n\nno sender, no id\n" >bad &&
	{
		printf "LHLO c\r\nMAIL FROM:<x@example.org>\r\nRCPT TO:<list@example.org>\r\nDATA\r\n"
		data bad
		printf "QUIT\r\n"
	} | lmtp >out &&
	replies <out | grep "^250 2.0.0 <list@example.org> malformed$" &&
	! replies <out | grep "^5" &&
	test "$(sql -c "SELECT status FROM mail ORDER BY id DESC LIMIT 1")" = malformed
'

test_expect_success 'protocol errors get 5xx replies, the session goes on' '
	printf "MAIL FROM:<a@b>\r\nHELO x\r\nDATA\r\nLHLO c\r\nRCPT TO:<a@b>\r\nBOGUS\r\nQUIT\r\n" |
	lmtp >out &&
	replies <out | grep "^[0-9]*" -o >codes &&
	printf "220\n503\n500\n503\n250\n250\n250\n250\n250\n503\n500\n221\n" >expect &&
	test_cmp expect codes
'

test_expect_success 'database down: 451 per recipient; back up: 250 in the same session' '
	mkmail --msgid l3@x --subject "[PATCH] while down" >l3 &&
	rm -f in && mkfifo in &&
	{ lmtp <in >out & } && ses=$! &&
	exec 3>in &&
	printf "LHLO c\r\n" >&3 &&
	test_stop_db &&
	printf "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n" >&3 &&
	data l3 >&3 &&
	while test "$(grep -c "^451" out)" -lt 2; do sleep 0.05; done &&
	test_start_db &&
	printf "MAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n" >&3 &&
	data l3 >&3 &&
	printf "QUIT\r\n" >&3 &&
	exec 3>&- &&
	wait $ses &&
	replies <out | grep "^4[0-9][0-9]\|stored" >actual &&
	cat >expect <<-\EOF &&
	451 4.3.0 <a@example.org> temporary failure, try again later
	451 4.3.0 <b@example.org> temporary failure, try again later
	250 2.0.0 <a@example.org> stored
	EOF
	test_cmp expect actual &&
	test "$(count patch "msgid = '"'"'<l3@x>'"'"'")" = 1
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'it refuses to run as root' '
		printf "QUIT\r\n" | test_expect_code 75 pw ingress --lmtp >out 2>err &&
		grep "^421" out
	'
fi

test_expect_success 'stderr shared with the session socket stays out of the dialogue' '
	command -v python3 >/dev/null || { echo "no python3" && return 0; } &&
	mkmail --msgid sock1@x --subject "[PATCH] over an inetd socket" >sk &&
	test_stop_db &&
	test_when_finished "test_start_db" &&
	cat >sess.py <<-\PY &&
	import os, socket, subprocess, sys
	a, b = socket.socketpair()
	cmd = sys.argv[1:]
	p = subprocess.Popen(cmd, stdin=b, stdout=b, stderr=b)
	b.close()
	mail = open("sk", "rb").read().replace(b"\n", b"\r\n")
	a.sendall(b"LHLO c\r\nMAIL FROM:<s@example.org>\r\n"
	          b"RCPT TO:<l@example.org>\r\nDATA\r\n" + mail +
	          b".\r\nQUIT\r\n")
	a.shutdown(socket.SHUT_WR)
	out = b""
	while True:
	    d = a.recv(65536)
	    if not d:
	        break
	    out += d
	p.wait()
	sys.stdout.write(out.decode())
	PY
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- python3 sess.py "$PW_BIN/pw-ingress" --lmtp >out
	else
		python3 sess.py "$PW_BIN/pw-ingress" --lmtp >out
	fi &&
	cat out &&
	tr -d "\r" <out | grep -v "^[0-9][0-9][0-9][ -]" >noise || : &&
	test_must_be_empty noise &&
	tr -d "\r" <out | grep "^451 " 
'

test_done
