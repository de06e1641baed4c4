#!/bin/sh
# The diff splitter (ingest spec §6.5) on the spec's examples: for each
# t/data/diff/NAME.in, pw-test diff-split must print NAME.out (diff, text,
# hash and changed files).  The expected files were checked line by line
# against the spec's state table.
. "$(dirname "$0")"/lib.sh

for in in "$T_DIR"/data/diff/*.in; do
	name=$(basename "$in" .in)
	test_expect_success "diff split: $name" "
		pw-test diff-split <'$in' >out &&
		test_cmp '${in%.in}.out' out
	"
done

test_expect_success 'binary quirk 1: the git signature after a binary patch is diff' '
	pw-test diff-split <"$T_DIR/data/diff/binary-trailer.in" >out &&
	sed -n "/^diff:/,/^text:/p" out >d &&
	grep -q "^| 2.35.3\$" d
'

test_expect_success 'binary quirk 2: mode and index of the next file land in the text' '
	pw-test diff-split <"$T_DIR/data/diff/binary-then-text.in" >out &&
	sed -n "/^text:/,/^hash:/p" out >t &&
	grep -q "^| new file mode 100755\$" t &&
	grep -q "^| index 0000000..1f2e3d4\$" t &&
	sed -n "/^diff:/,/^text:/p" out >d &&
	grep -q "^| diff --git quit.sh quit.sh\$" d
'

test_expect_success 'a long diff is split in linear time' '
	{
		echo "msg" && echo "--- a/big" && echo "+++ b/big" &&
		echo "@@ -1,200000 +1,200000 @@" &&
		yes " context line" | head -n 200000
	} >big.in &&
	pw-test diff-split <big.in >out &&
	grep -q "^diff: 2800046 bytes\$" out
'

test_done
