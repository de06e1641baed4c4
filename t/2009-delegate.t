#!/bin/sh
# Delegation (ingest spec §9.2, §9.3): by header hint, else by file-path
# rules (fnmatch, '*' crosses '/', priority then path order).
. "$(dirname "$0")"/lib.sh

D=$T_DIR/data/mail
RULES="drivers/net/*:10:1 drivers/*:0:2"

test_expect_success 'one file per rule (the spec examples)' '
	pw-test delegate $RULES -- drivers/net/a.c >out &&
	pw-test delegate $RULES -- drivers/usb/b.c >>out &&
	pw-test delegate $RULES -- drivers/net/a.c drivers/usb/b.c >>out &&
	pw-test delegate $RULES -- docs/x.rst >>out &&
	pw-test delegate $RULES -- >>out &&
	printf "1\n2\nnone\nnone\nnone\n" >expect &&
	test_cmp expect out
'

test_expect_success 'files with one common user' '
	pw-test delegate $RULES -- drivers/usb/a.c drivers/gpu/b.c >out &&
	echo 2 >expect &&
	test_cmp expect out
'

test_expect_success 'the rule order does not depend on the argument order' '
	pw-test delegate drivers/*:0:2 drivers/net/*:10:1 -- drivers/net/a.c >out &&
	echo 1 >expect &&
	test_cmp expect out
'

test_expect_success 'equal priority: paths in ascending order' '
	pw-test delegate "*.c:5:7" "*:5:8" -- x.c >out &&
	pw-test delegate "ab*:5:8" "a*:5:7" -- abc >>out &&
	printf "8\n7\n" >expect &&
	test_cmp expect out
'

test_expect_success 'fnmatch: * crosses /, ?, sets, literal backslash' '
	pw-test delegate "*/manage.py:0:3" -- a/b/manage.py >out &&
	pw-test delegate "lib/?.c:0:4" -- lib/x.c >>out &&
	pw-test delegate "lib/?.c:0:4" -- lib/xy.c >>out &&
	pw-test delegate "src/[!t]*:0:5" -- src/main.c >>out &&
	pw-test delegate "src/[!t]*:0:5" -- src/test.c >>out &&
	pw-test delegate "a\\*:0:6" -- "a\\b" >>out &&
	pw-test delegate "Docs/*:0:6" -- docs/x >>out &&
	printf "3\n4\nnone\n5\nnone\n6\nnone\n" >expect &&
	test_cmp expect out
'

test_expect_success 'changed files of a patch (§9.3)' '
	pw-test parse-mail <"$D/patch-in-series.mbox" | sed -n "s/^file: //p" >out &&
	printf "drivers/widgets/one.c\ninclude/widgets.h\n" >expect &&
	test_cmp expect out &&
	pw-test parse-mail <"$D/git-rename-with-diff.mbox" | sed -n "s/^file: //p" >out &&
	printf "src/main.c\nsrc/prog.c\n" >expect &&
	test_cmp expect out
'

test_expect_success 'changed files: /dev/null skipped, CRs removed, sorted set' '
	printf "%s\r\n" "--- /dev/null" "+++ b/include/bar.h" "--- a/lib/foo.c" \
		"+++ b/lib/foo.c" "@@ -1 +1 @@" "-a" "+b" | pw-test diff-split >out &&
	sed -n "s/^file: //p" out >files &&
	printf "include/bar.h\nlib/foo.c\n" >expect &&
	test_cmp expect files
'

test_expect_success 'the header hint is kept as its clean value' '
	pw-test parse-mail <"$D/hints.mbox" >out &&
	grep -q "^hint-delegate: boss@example.com\$" out &&
	grep -q "^hint-state: Changes Requested\$" out
'

test_done
