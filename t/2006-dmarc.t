#!/bin/sh
# DMARC "via list" unmangling (ingest spec §8.4) and From parsing (§8.1,
# §8.2): only when the From address is the project's list address.
. "$(dirname "$0")"/lib.sh

D=$T_DIR/data/mail

# author MAIL LISTEMAIL: "name|email|error" of the author
author() {
	pw-test parse-mail --listemail "$2" <"$1" |
		sed -n "s/^author-\(name\|email\|error\): //p" | paste -sd"|"
}

# mk FROM [HEADER...]: a patch mail with that From and extra headers
mk() {
	from=$1
	shift
	printf "From: %s\n" "$from"
	for h in "$@"; do printf "%s\n" "$h"; done
	printf "Subject: [PATCH] x\nMessage-Id: <dm@example.com>\n\nx\n---\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
}

test_expect_success 'mailman: the name matches a Reply-To address' '
	author "$D/dmarc-mailman.mbox" list@lists.example.org >out &&
	echo "Existing Sender|existing@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'the list address compares case-insensitively' '
	author "$D/dmarc-mailman.mbox" LIST@Lists.Example.ORG >out &&
	echo "Existing Sender|existing@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'another list address: no unmangling' '
	author "$D/dmarc-mailman.mbox" other@lists.example.org >out &&
	echo "Existing Sender via List|list@lists.example.org|-" >expect &&
	test_cmp expect out
'

test_expect_success 'google: X-Original-From gives the address, "via" the name' '
	author "$D/dmarc-google.mbox" list@lists.example.org >out &&
	echo "Existing Sender|existing@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'weird: the match is found in Cc' '
	mk "Existing Sender via List <list@x.org>" \
		"Reply-To: Other <o@example.org>" \
		"Cc: Other <o@example.org>, Existing Sender <existing@example.com>" >m &&
	author m list@x.org >out &&
	echo "Existing Sender|existing@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'a name ending in " via" is stripped too' '
	mk "Existing Sender via <list@x.org>" \
		"Reply-To: Existing Sender <existing@example.com>" >m &&
	author m list@x.org >out &&
	echo "Existing Sender|existing@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'no "via": X-Original-From address, name left out' '
	mk "'"'"'Existing Sender'"'"' <list@x.org>" \
		"X-Original-From: Existing Sender <existing@example.com>" >m &&
	author m list@x.org >out &&
	echo "-|existing@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'the list address without a name does not crash (D4)' '
	author "$D/dmarc-no-name.mbox" list@lists.example.org >out &&
	echo "-|bare@example.com|-" >expect &&
	test_cmp expect out
'

test_expect_success 'nobody matches: the list address stays' '
	author "$D/dmarc-unmatched.mbox" list@lists.example.org >out &&
	echo "Lonely Sender via List|list@lists.example.org|-" >expect &&
	test_cmp expect out
'

test_expect_success 'From forms of §8.1' '
	for f in "\"Bar, Foo\" <foo@bar.com>|Bar, Foo|foo@bar.com" \
		"foo at bar.com (Foo Bar)|Foo Bar|foo@bar.com" \
		"foo@bar.com (Foo Bar)|Foo Bar|foo@bar.com" \
		"<foo@bar.com>||foo@bar.com" \
		"foo@bar.com|-|foo@bar.com" \
		"Foo <foo@bar.com> (comment)|Foo|foo@bar.com" \
		"=?utf-8?q?=C3=A9xample?= user <user@example.com>|éxample user|user@example.com"
	do
		from=${f%%|*} &&
		mk "$from" >m &&
		pw-test parse-mail <m | sed -n "s/^from-\(name\|email\): //p" |
			paste -sd"|" >out &&
		echo "${f#*|}" >expect &&
		test_cmp expect out || return 1
	done
'

test_expect_success 'invalid addresses are an author error (v3.2 rule)' '
	for from in "root@localhost" "x <a@b_c.com>" \
		"testH=?UTF-8?B?w6E=?=user=?UTF-8?B?w6E=?=" "" "<>"; do
		mk "$from" >m &&
		pw-test parse-mail <m >out &&
		grep -q "^author-error: Invalid .From. header\$" out &&
		grep -q "^class: patch\$" out || return 1
	done &&
	mk "Jörg <jörg@bar.com>" >m &&
	pw-test parse-mail <m >out &&
	grep -q "^author-error: -\$" out
'

test_done
