#!/bin/sh
# Tag counting (ingest spec §14) and Depends-on parsing (§15).
. "$(dirname "$0")"/lib.sh

D=$T_DIR/data/mail

test_expect_success 'tags: one of each spelling counts (ExtractTagsTest)' '
	for l in "Acked-by: x" "acked-by: x" "ACKED-BY: x"; do
		echo "$l" | pw-test tags >out &&
		echo "1 0 0" >expect &&
		test_cmp expect out || return 1
	done
'

test_expect_success 'tags: quoted and indented lines do not count' '
	printf "> Acked-by: x\n Acked-by: y\nfoo Acked-by: z\n" | pw-test tags >out &&
	echo "0 0 0" >expect &&
	test_cmp expect out
'

test_expect_success 'tags: two Acked-by and one Reviewed-by' '
	printf "Acked-by: a\nAcked-by: b\nReviewed-by: c\n" | pw-test tags >out &&
	echo "2 1 0" >expect &&
	test_cmp expect out
'

test_expect_success 'tags: counted in the content, not in the diff' '
	pw-test parse-mail <"$D/patch-in-series.mbox" >out &&
	grep -q "^tags: A=0 R=2 T=1\$" out &&
	printf "%s\n" "From: a <a@example.com>" "Subject: [PATCH] t" \
		"Message-Id: <t@example.com>" "" "msg" "---" "--- a/f" "+++ b/f" \
		"@@ -1 +1 @@" "-Acked-by: in the diff" "+Reviewed-by: in the diff" >m &&
	pw-test parse-mail <m >out &&
	grep -q "^tags: A=0 R=0 T=0\$" out
'

test_expect_success 'tags: comments count too; the signature is gone' '
	pw-test parse-mail <"$D/reply-comment.mbox" >out &&
	grep -q "^tags: A=2 R=0 T=0\$" out &&
	printf "%s\n" "From: a <a@example.com>" "Subject: Re: [PATCH] t" \
		"Message-Id: <t2@example.com>" "In-Reply-To: <t@example.com>" "" \
		"Tested-by: me <me@example.com>" "-- " "Acked-by: in the signature" >m &&
	pw-test parse-mail <m >out &&
	grep -q "^tags: A=0 R=0 T=1\$" out
'

test_expect_success 'tags: admin patterns are Python regexes; a bad one counts 0' '
	printf "Fixes: 123\nfixes: 456\nCloses: x\n" |
		pw-test tags "^Fixes:" "^(?P<c>Closes):" "^(unclosed" >out 2>err &&
	echo "2 1 0" >expect &&
	test_cmp expect out &&
	grep -q "unclosed" err
'

test_expect_success 'tags: empty matches count as findall counts them' '
	printf "ab" | pw-test tags "x*" >out &&
	echo 3 >expect &&
	test_cmp expect out
'

test_expect_success 'depends-on: msgid and URL forms of a cover letter' '
	pw-test parse-mail <"$D/cover-letter.mbox" | sed -n "s/^depends: //p" >out &&
	printf "%s\n" "series 42" "msgid: <abc/def@example.com>" \
		"msgid: <other-series-1@example.com>" >expect &&
	test_cmp expect out
'

test_expect_success 'depends-on: what gives nothing' '
	printf "%s\n" "Depends-on: not-an-id-or-url" \
		"Depends-on: http://host/project/p/list" \
		"Depends-on: http://host/project/p/list/" \
		"Depends-on: http://host/project/p/list/?series=abc" \
		"Depends-on: http://host/other/path/?series=1" \
		"Depends-on:  <two-spaces@example.com>" \
		"Depends-on:<no-space@example.com>" \
		"> Depends-on: <quoted@example.com>" |
		pw-test depends >out &&
	echo none >expect &&
	test_cmp expect out
'

test_expect_success 'depends-on: case, trailing space, https, query order' '
	printf "%s\n" "DEPENDS-ON: <a@example.com>  " \
		"depends-on: https://x.example/project/p/list/?state=1&series=12" \
		"Depends-on: http://x.example/project/p/patch/1-2%2F3@example.com/" |
		pw-test depends >out &&
	printf "%s\n" "series 12" "msgid <1-2/3@example.com>" \
		"msgid <a@example.com>" >expect &&
	test_cmp expect out
'

test_expect_success 'depends-on: URLs below the site base path' '
	printf "%s\n" "Depends-on: https://x.example/pw/project/p/list/?series=7" |
		pw-test depends /pw >out &&
	echo "series 7" >expect &&
	test_cmp expect out &&
	printf "%s\n" "Depends-on: https://x.example/pw/project/p/list/?series=7" |
		pw-test depends >out &&
	echo none >expect &&
	test_cmp expect out
'

test_done
