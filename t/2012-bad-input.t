#!/bin/sh
# Bad input never crashes the parser: each of these gets a class (or a
# MALFORMED reason for the journal) and exit status 0.
. "$(dirname "$0")"/lib.sh

# parse FILE: parse-mail --brief must exit 0 and print a class
parse() {
	pw-test parse-mail --brief <"$1" >out &&
	grep -q "^class: " out
}

hdrs() {
	printf "From: A <a@example.com>\nSubject: [PATCH] x\nMessage-Id: <bad@example.com>\n"
}

test_expect_success 'NUL bytes in headers and body' '
	parse "$T_DIR/data/mail/nul-bytes.mbox" &&
	grep -q "^msgid: <nul-bytes@example.com>\$" out &&
	grep -q "^subject: \[PATCH\] nul bytes\$" out &&
	printf "\0\0\0From: \0\n\0\n\0" >nul && parse nul
'

test_expect_success 'an absurdly long header line (1 MB Subject)' '
	{ printf "From: A <a@example.com>\nMessage-Id: <long@example.com>\nSubject: [PATCH] " &&
	  head -c 1000000 /dev/zero | tr "\0" "x" && printf "\n\nbody\n"; } >long &&
	parse long &&
	grep -q "^class: comment\$" out
'

test_expect_success 'a header folded into 20,000 lines' '
	{ hdrs && printf "X-Folded: start\n" &&
	  yes " fold" | head -n 20000 && printf "\nbody\n"; } >folded &&
	parse folded
'

test_expect_success '100,000 headers' '
	{ hdrs && yes "X-Many: value" | head -n 100000 && printf "\nbody\n"; } >many &&
	parse many &&
	grep -q "^class: comment\$" out
'

test_expect_success 'headers built to make naive scanners quadratic' '
	{ printf "From: " && yes " at x" | head -n 20000 | tr -d "\n" &&
	  printf "\nSubject: " && yes "=?a?q?" | head -n 100000 | tr -d "\n" &&
	  printf "\nList-Id: " && head -c 500000 /dev/zero | tr "\0" "<" &&
	  printf "\nReferences: " && head -c 500000 /dev/zero | tr "\0" "<" &&
	  printf "\nMessage-Id: <q@example.com>\n\nbody\n"; } >quad &&
	parse quad
'

test_expect_success 'missing headers are MALFORMED with a reason' '
	printf "Subject: x\nMessage-Id: <m@example.com>\n\nbody\n" >m1 &&
	parse m1 && grep -q "^error: Missing .From. header\$" out &&
	printf "From: a@example.com\nMessage-Id: <m@example.com>\n\nbody\n" >m2 &&
	parse m2 && grep -q "^error: Missing .Subject. header\$" out &&
	printf "From: a@example.com\nSubject: x\n\nbody\n" >m3 &&
	parse m3 && grep -q "^error: Missing .Message-Id. header\$" out &&
	: >m4 && parse m4 && grep -q "^class: malformed\$" out
'

test_expect_success 'an unknown charset and an unknown transfer encoding' '
	{ hdrs && printf "Content-Type: text/plain; charset=x-martian\nContent-Transfer-Encoding: x-teleport\n\n\377\376 bytes\n"; } >cs &&
	parse cs && grep -q "^class: comment\$" out
'

test_expect_success 'broken MIME: bad boundaries, no parts, garbage parameters' '
	{ hdrs && printf "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n"; } >b1 &&
	parse b1 &&
	{ hdrs && printf "Content-Type: multipart/mixed; boundary=x\n\n--x--\n"; } >b2 &&
	parse b2 &&
	{ hdrs && printf "Content-Type: ;;;=;\"\nContent-Transfer-Encoding: base64\n\n!!!!\n"; } >b3 &&
	parse b3 &&
	{ hdrs && printf "Content-Type: message/rfc822\n\n"; } >b4 &&
	parse b4 &&
	{ hdrs && printf "Content-Type: text/plain; charset*=utf-8%%27%%27%%FF\n\nx\n"; } >b5 &&
	parse b5
'

test_expect_success 'multipart nested 5,000 deep' '
	{ hdrs && printf "Content-Type: multipart/mixed; boundary=b0\n\n" &&
	  i=0 && while [ $i -lt 5000 ]; do
		printf -- "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" $i $((i + 1))
		i=$((i + 1))
	  done && printf -- "--b5000\nContent-Type: text/plain\n\ndeep\n"; } >deep &&
	parse deep
'

test_expect_success 'a 50 MB patch attachment' '
	{ hdrs && printf "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nbig one\n--B\nContent-Type: text/x-patch\n\n--- a/big\n+++ b/big\n@@ -1,1000000 +1,1000000 @@\n" &&
	  yes " fifty bytes of context in every single line of it" | head -n 1000000 &&
	  printf -- "--B--\n"; } >big &&
	parse big &&
	grep -q "^class: patch\$" out &&
	grep -q "^diff: 51000047 bytes, no final newline\$" out
'

test_expect_success 'binary garbage' '
	head -c 200000 /dev/urandom >rnd && parse rnd &&
	{ hdrs && printf "\n" && head -c 200000 /dev/urandom; } >rnd2 && parse rnd2
'

test_expect_success 'headers only, no body; lone CR line ends' '
	hdrs >h && parse h && grep -q "^class: empty\$" out &&
	printf "From: a@example.com\rSubject: x\rMessage-Id: <cr@x>\r\rbody\r" >cr &&
	parse cr
'

test_done
