#!/bin/sh
# Mail parsing golden pairs: for each t/data/mail/NAME.mbox, the dump of
# `pw-test parse-mail` (with the options in NAME.args, if any) must equal
# NAME.out.  The mails are our own, written or made with git format-patch
# to cover the reference's test mails (spec §20); each .out was reviewed
# against the spec when it was frozen.  To regenerate after a deliberate
# change: PW_REGEN=1 prove t/2000-parse.t, then review the git diff.
. "$(dirname "$0")"/lib.sh

D=$T_DIR/data/mail

for m in "$D"/*.mbox; do
	name=$(basename "$m" .mbox)
	args=
	[ -f "$D/$name.args" ] && args=$(cat "$D/$name.args")
	if [ -n "${PW_REGEN:-}" ]; then
		pw-test parse-mail $args <"$m" >"$D/$name.out"
	fi
	test_expect_success "parse $name" "
		pw-test parse-mail $args <'$m' >out &&
		test_cmp '$D/$name.out' out
	"
done

test_expect_success 'an mbox From line is skipped' '
	sed 1d "$D/mbox-from-line.mbox" | pw-test parse-mail >without &&
	pw-test parse-mail <"$D/mbox-from-line.mbox" >with &&
	test_cmp without with
'

test_expect_success 'every golden mail has its .out' '
	for m in "$D"/*.mbox; do
		test -f "${m%.mbox}.out" || { echo "missing ${m%.mbox}.out"; exit 1; }
	done
'

test_done
