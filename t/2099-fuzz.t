#!/bin/sh
# A short libFuzzer run of the mail parser (t/fuzz/fuzz-mail.c) under ASan
# and UBSan, seeded with the golden mails.  PW_FUZZ_SECONDS sets the
# length (default 60; 0 skips).  Needs clang with libFuzzer.
. "$(dirname "$0")"/lib.sh

secs=${PW_FUZZ_SECONDS:-60}
[ "$secs" = 0 ] && skip_all "PW_FUZZ_SECONDS=0"
test_need_cmd clang

FUZZ=$SRC_DIR/build-fuzz/fuzz-mail

# build here; no libFuzzer (or no clang runtime) means skip, not fail
make -C "$SRC_DIR" --no-print-directory fuzz >build.log 2>&1 &&
	[ -x "$FUZZ" ] ||
	skip_all "the fuzz target does not build: $(tail -n 1 build.log)"

test_expect_success "fuzz the mail parser for $secs s: no crash, leak or hang" '
	mkdir corpus &&
	cp "$T_DIR"/data/mail/*.mbox corpus/ &&
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	"$FUZZ" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 corpus >fuzz.log 2>&1 ||
		{ tail -n 40 fuzz.log; false; }
	grep "stat::number_of_executed_units" fuzz.log >&2
'

test_done
