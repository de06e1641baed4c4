#!/bin/sh
# Real-looking traffic: every mail of the shared sample corpus (and of a
# freshly generated one) parses without a crash, and the classes agree
# with what mkcorpus --verify says the corpus holds.
. "$(dirname "$0")"/lib.sh

test_need_shared corpus/git-list-sample.mbox.xz
test_need_cmd xz
test_need_cmd python3

# classes MBOX: our counts as "patch N", "pull N", "cover N", "comment N",
# plus the classes that must not occur
classes() {
	pw-test parse-mbox <"$1" >counts 2>rate &&
	cat rate >&2 &&
	awk -F": " '
		$1 == "patch" || $1 == "pull" || $1 == "comment" { print $1, $2 }
		$1 == "cover" { c += $2 } $1 == "cover-or-comment" { c += $2 }
		$1 == "malformed" || $1 == "ignored" || $1 == "empty" ||
		$1 == "meta-error" || $1 == "author-error" { print $1, $2 }
		END { print "cover", c }' counts | sort
}

# expected MBOX: the same from mkcorpus --verify (replies and other
# traffic are comments here)
expected() {
	python3 "$SHARED/tools/mkcorpus" --verify "$1" >verify 2>&1 &&
	awk '
		$1 == "patch" || $1 == "pull" || $1 == "cover" { print $1, $2 }
		$1 == "reply" || $1 == "other" { c += $2 }
		END {
			print "comment", c
			print "malformed 0"; print "ignored 0"; print "empty 0"
			print "meta-error 0"; print "author-error 0"
		}' verify | sort
}

test_expect_success 'the shared sample corpus' '
	xz -dc "$SHARED/corpus/git-list-sample.mbox.xz" >sample.mbox &&
	classes sample.mbox >out &&
	expected sample.mbox >expect &&
	test_cmp expect out &&
	grep -q "^mails: 1500\$" counts
'

test_expect_success 'a generated corpus with three lists' '
	python3 "$SHARED/tools/mkcorpus" -n 1000 -s 11 -k 3 -o gen.mbox &&
	classes gen.mbox >out &&
	expected gen.mbox >expect &&
	test_cmp expect out
'

test_expect_success 'mboxo flavour parses the same' '
	python3 "$SHARED/tools/mkcorpus" -n 300 -s 5 --format mboxo -o o.mbox &&
	classes o.mbox >out &&
	expected o.mbox >expect &&
	test_cmp expect out
'

test_done
