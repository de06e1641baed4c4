#!/bin/sh
# common/: buffer and arena units.
. "$(dirname "$0")"/lib.sh

test_expect_success 'struct buf keeps its invariants' '
	pw-test buf >out && ! grep "^not ok" out && grep -c "^ok" out
'

test_expect_success 'struct arena allocates, defers and resets' '
	pw-test arena >out && ! grep "^not ok" out
'

test_expect_success 'pw-test rejects an unknown subcommand with 64' '
	test_expect_code 64 pw-test no-such-thing
'

test_done
