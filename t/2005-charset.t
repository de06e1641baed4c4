#!/bin/sh
# Body charsets (ingest spec §6.1): a known charset decodes strictly or the
# part is skipped; no charset or an unknown one falls back to UTF-8, then
# windows-1252, then ISO-8859-1.  Transfer encodings are undone first.
. "$(dirname "$0")"/lib.sh

# mail CONTENT-TYPE-PARAMS BODY-BYTES (printf format)
mail() {
	printf 'From: C <c@example.com>\nSubject: [PATCH] charset\nMessage-Id: <cs@example.com>\nContent-Type: text/plain%s\nContent-Transfer-Encoding: 8bit\n\n' "$1"
	printf "$2"
	printf '\n---\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n'
}

# has FORMAT: the dump in out has a line holding printf FORMAT
has() {
	grep -qF -- "$(printf "$1")" out
}

content() {
	sed -n '/^content:/,/^diff:/p' | sed '1d;$d'
}

test_expect_success 'declared UTF-8 decodes' '
	mail "; charset=utf-8" "na\303\257ve" | pw-test parse-mail | content >out &&
	printf "| na\303\257ve\n| ---\n" >expect &&
	test_cmp expect out
'

test_expect_success 'declared UTF-8 that is not: the part is skipped' '
	mail "; charset=utf-8" "caf\351" | pw-test parse-mail >out &&
	grep -q "^class: empty\$" out
'

test_expect_success 'us-ascii with 8-bit bytes: the part is skipped (§20 item 5)' '
	pw-test parse-mail <"$T_DIR/data/mail/charset-us-ascii-8bit.mbox" >out &&
	! grep -q "claims ASCII" out &&
	grep -q "^| This part is honest" out &&
	grep -q "^class: patch\$" out
'

test_expect_success 'declared ISO-8859-1 decodes every byte' '
	mail "; charset=ISO-8859-1" "caf\351 \201" | pw-test parse-mail | content >out &&
	printf "| caf\303\251 \302\201\n| ---\n" >expect &&
	test_cmp expect out
'

test_expect_success 'declared windows-1252 fails on its five undefined bytes' '
	mail "; charset=windows-1252" "\200 ok" | pw-test parse-mail | content >out &&
	printf "| \342\202\254 ok\n| ---\n" >expect &&
	test_cmp expect out &&
	mail "; charset=cp1252" "\201 bad" | pw-test parse-mail >out &&
	grep -q "^class: empty\$" out
'

test_expect_success 'a charset iconv knows (KOI8-R)' '
	mail "; charset=koi8-r" "\320\322\311\327\305\324" |
		pw-test parse-mail | content >out &&
	printf "| \320\277\321\200\320\270\320\262\320\265\321\202\n| ---\n" >expect &&
	test_cmp expect out
'

test_expect_success 'no charset: UTF-8 first' '
	mail "" "\303\251" | pw-test parse-mail | content >out &&
	printf "| \303\251\n| ---\n" >expect &&
	test_cmp expect out
'

test_expect_success 'no charset, not UTF-8: windows-1252' '
	mail "" "\200\351" | pw-test parse-mail | content >out &&
	printf "| \342\202\254\303\251\n| ---\n" >expect &&
	test_cmp expect out
'

test_expect_success 'no charset, not windows-1252 either: ISO-8859-1' '
	mail "" "\201\351" | pw-test parse-mail | content >out &&
	printf "| \302\201\303\251\n| ---\n" >expect &&
	test_cmp expect out
'

test_expect_success 'unknown charset names take the fallbacks' '
	for cs in none x-unknown unknown-8bit "UTF-8//TRANSLIT" ""; do
		mail "; charset=\"$cs\"" "\200" | pw-test parse-mail | content >out &&
		printf "| \342\202\254\n| ---\n" >expect &&
		test_cmp expect out || return 1
	done
'

test_expect_success 'charset=none with 8-bit text still parses (like 0010)' '
	pw-test parse-mail <"$T_DIR/data/mail/charset-none.mbox" >out &&
	grep -q "^class: patch\$" out &&
	has "| The caf\303\251 costs 5 \342\202\254"
'

test_expect_success 'base64 and quoted-printable bodies are decoded' '
	pw-test parse-mail <"$T_DIR/data/mail/body-base64.mbox" >out &&
	has "| Encoded in base64, with a caf\303\251." &&
	grep -q "^| +encoded\$" out &&
	pw-test parse-mail <"$T_DIR/data/mail/body-qp.mbox" >out &&
	has "right here, and it goes on; caf\303\251 is" &&
	grep -q "^| +int x = 2;\$" out
'

test_expect_success 'CR bytes survive into the diff, not into the content' '
	pw-test parse-mail <"$T_DIR/data/mail/crlf.mbox" >out &&
	grep -q "^| +echo on\\\\r\$" out &&
	sed -n "/^content:/,/^diff:/p" out >c &&
	! grep -q "\\\\r" c
'

test_done
