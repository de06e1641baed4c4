#!/bin/sh
# Classification (ingest spec §7) and the reference list (§2.4), as far as
# they do not need the database: the storing half decides the
# cover-or-comment case (D1) and finds parents.
. "$(dirname "$0")"/lib.sh

DIFF='---
--- a/f
+++ b/f
@@ -1 +1 @@
-a
+b'

# mk SUBJECT BODY [HEADER...]
mk() {
	subj=$1 body=$2
	shift 2
	printf "From: A <a@example.com>\nSubject: %s\nMessage-Id: <c@example.com>\n" "$subj"
	for h in "$@"; do printf "%s\n" "$h"; done
	printf "\n%s\n" "$body"
}

class() {
	pw-test parse-mail | sed -n "s/^class: //p"
}

check() {
	want=$1
	shift
	got=$(mk "$@" | class) &&
	if [ "$got" != "$want" ]; then
		echo "$1: want $want, got $got" >&2
		return 1
	fi
}

IRT="In-Reply-To: <older@example.com>"

test_expect_success 'the rows of the §7 table' '
	check patch "[PATCH 2/3] foo" "msg
$DIFF" &&
	check comment "Re: [PATCH 2/3] foo" "msg
$DIFF" "$IRT" &&
	check patch "[PATCH] foo" "msg
$DIFF" "$IRT" &&
	check cover "[PATCH 0/3] foo" "cover text" &&
	check patch "[PATCH 0/3] foo" "msg
$DIFF" &&
	check cover-or-comment "[PATCH v2 0/3] foo" "v2 cover" "$IRT" &&
	check comment "Re: [PATCH 0/3] foo" "a reply" "$IRT" &&
	check patch "Fwd: [PATCH] foo" "msg
$DIFF" &&
	check comment "hello" "no diff, no refs" &&
	check comment "hello" "no diff" "$IRT" &&
	check comment "[PATCH 1/2] foo" "plain text, no diff" "$IRT" &&
	check cover "[PATCH 0 of 2] mercurial" "cover text" &&
	check empty "[PATCH] nothing" "" &&
	check empty "[PATCH] only a signature" "-- 
sig"
'

test_expect_success 'a diff in a reply stays in the comment text' '
	mk "Re: [PATCH 2/3] foo" "msg
$DIFF" "$IRT" | pw-test parse-mail >out &&
	grep -q "^diff: none\$" out &&
	grep -q "^| +++ b/f\$" out
'

test_expect_success 'Fwd: is not a reply; the name loses it' '
	mk "Fwd: [PATCH] foo" "msg
$DIFF" | pw-test parse-mail >out &&
	grep -q "^reply: no\$" out &&
	grep -q "^name: \"foo\"\$" out
'

test_expect_success 'the linkname changes the marker and so the class' '
	mk "[PATCH 0/3 v2] x" "cover" | pw-test parse-mail --linkname v2 >out &&
	grep -q "^class: cover\$" out &&
	grep -q "^name: \"\[0/3\] x\"\$" out &&
	grep -q "^version: 1\$" out
'

test_expect_success 'refs: In-Reply-To, then References newest first (§2.4)' '
	mk "Re: x" "text" "In-Reply-To: X <x@1>" \
		"References: <a@1> <b@1> <c@1> <d@1> <x@1>" |
		pw-test parse-mail | sed -n "s/^ref: //p" >out &&
	printf "%s\n" "<x@1>" "<d@1>" "<c@1>" "<b@1>" "<a@1>" >expect &&
	test_cmp expect out
'

test_expect_success 'refs: every header, duplicates of In-Reply-To kept' '
	mk "Re: x" "text" "In-Reply-To: <x@1>" "References: <a@1> <b@1>" \
		"In-Reply-To: <x@1>" "References: <c@1> <x@1>" |
		pw-test parse-mail | sed -n "s/^ref: //p" >out &&
	printf "%s\n" "<x@1>" "<x@1>" "<b@1>" "<a@1>" "<c@1>" >expect &&
	test_cmp expect out
'

test_expect_success 'refs: an In-Reply-To with a comment; a bare one' '
	mk "Re: x" "text" \
		"In-Reply-To: <4574b99b@huawei.com> (message from liqingqing on Thu, 1 Apr 2021)" \
		"In-Reply-To: bare-id@example.com" "In-Reply-To:  " |
		pw-test parse-mail | sed -n "s/^ref: //p" >out &&
	printf "%s\n" "<4574b99b@huawei.com>" "bare-id@example.com" >expect &&
	test_cmp expect out
'

test_expect_success 'refs: a huge References header is handled in linear time' '
	refs=$(seq 1 20000 | sed "s/.*/<&@example.com>/" | paste -sd" ") &&
	mk "Re: x" "text" "References: $refs $refs" |
		pw-test parse-mail >out &&
	test $(grep -c "^ref: " out) = 20000 &&
	sed -n "s/^ref: //p" out | head -n 1 >first &&
	echo "<20000@example.com>" >expect &&
	test_cmp expect first
'

test_expect_success 'the signature is cut at the first "-- " line only' '
	mk "[PATCH 0/1] c" "hello
--
x
-- 
sig" | pw-test parse-mail >out &&
	sed -n "/^content:/,/^diff:/p" out >c &&
	printf "%s\n" "content: 10 bytes, no final newline" "| hello" "| --" \
		"| x" "diff: none" >expect &&
	test_cmp expect c &&
	mk "[PATCH 0/1] c" "a
-- foo
b" | pw-test parse-mail >out &&
	grep -q "^| b\$" out &&
	mk "[PATCH 0/1] c" "a
_
b" | pw-test parse-mail >out &&
	! grep -q "^| b\$" out
'

test_expect_success 'a signature before the diff: the diff is still found' '
	mk "[PATCH] s" "Test comment
more comment
-- 
sig
$DIFF" | pw-test parse-mail >out &&
	grep -q "^class: patch\$" out &&
	sed -n "/^content:/,/^diff:/p" out >c &&
	printf "%s\n" "content: 25 bytes, no final newline" "| Test comment" \
		"| more comment" "diff: 34 bytes" >expect &&
	test_cmp expect c
'

test_done
