#!/bin/sh
# common/html.c: the escaping writers.
. "$(dirname "$0")"/lib.sh

test_expect_success 'text escapes all five, keeps everything else' '
	printf "%s" "a<b>&\"c\" '"'"'d'"'"' é x" | pw-test html-escape text >out &&
	printf "%s" "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39; é x" >expect &&
	test_cmp expect out
'

test_expect_success 'attr escapes the same set (one invariant for both)' '
	printf "%s" "\"><script>alert(1)</script>" | pw-test html-escape attr >out &&
	printf "%s" "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" >expect &&
	test_cmp expect out
'

test_expect_success 'text keeps NUL-free binary-ish input and long runs intact' '
	awk "BEGIN { for (i = 0; i < 5000; i++) printf \"plain text & \" }" >in &&
	pw-test html-escape text <in >out &&
	sed "s/&/\&amp;/g" in >expect &&
	test_cmp expect out
'

test_expect_success 'url percent-encodes one component' '
	printf "%s" "a b/c?d=e&f#g%h<i>~._-" | pw-test html-escape url >out &&
	grep -q "^a%20b%2Fc%3Fd%3De%26f%23g%25h%3Ci%3E~\._-$" out ||
	{ cat out; false; }
'

test_expect_success 'textf formats, then escapes' '
	printf "%s" "<x>" | pw-test html-escape textf >out &&
	printf "%s" "[&lt;x&gt;|42]" >expect &&
	test_cmp expect out
'

test_expect_success 'raw is raw (only for our own literals)' '
	printf "%s" "<p>" | pw-test html-escape raw >out &&
	printf "%s" "<p>" >expect &&
	test_cmp expect out
'

test_done
