#!/bin/sh
# The patch hash (ingest spec §10): the test vectors must match exactly,
# since clients (pwclient, patchwork-update-commits) compute the same.
. "$(dirname "$0")"/lib.sh

# The normalised stream of a diff, hashed by sha1sum: an independent
# check of what pw-test hash computes.
sha1() { sha1sum | cut -d" " -f1; }

test_expect_success 'setup' '
	printf "%s\n" "diff --git a/meep.text b/meep.text" \
		"index 3d75d48..a57f4dd 100644" "--- a/meep.text" \
		"+++ b/meep.text" "@@ -1,1 +1,2 @@" " meep" "+meep" >meep.diff
'

test_expect_success 'the vector of spec §10 (0001-add-line.patch)' '
	pw-test hash <meep.diff >out &&
	echo f59149b3310fb8f337b1cfc845c060ed6ef85df8 >expect &&
	test_cmp expect out &&
	printf -- "--- a/meep.text\n+++ b/meep.text\n@@ -1 +2 @@\n meep\n+meep\n" |
		sha1 >stream &&
	test_cmp expect stream
'

test_expect_success 'CRLF line ends give the same hash' '
	sed "s/\$/\r/" meep.diff | pw-test hash >out &&
	echo f59149b3310fb8f337b1cfc845c060ed6ef85df8 >expect &&
	test_cmp expect out
'

test_expect_success 'line numbers and function context are dropped' '
	sed "s/^@@ .*/@@ -40,1 +57,2 @@ static int foo(void)/" meep.diff |
		pw-test hash >out &&
	echo f59149b3310fb8f337b1cfc845c060ed6ef85df8 >expect &&
	test_cmp expect out
'

test_expect_success 'x/ and y/ prefixes give the same hash' '
	sed "s,a/meep,x/meep,g; s,b/meep,y/meep,g" meep.diff | pw-test hash >out &&
	echo f59149b3310fb8f337b1cfc845c060ed6ef85df8 >expect &&
	test_cmp expect out
'

test_expect_success 'a binary-only diff hashes to the SHA-1 of nothing' '
	printf "%s\n" "diff --git a/x.png b/x.png" "new file mode 100644" \
		"index 0000000..1234567" "GIT binary patch" "literal 5" \
		"McmZQzU|?hb000I40RR91" "" "literal 0" "HcmV?d00001" "" |
		pw-test hash >out &&
	echo da39a3ee5e6b4b0d3255bfef95601890afd80709 >expect &&
	test_cmp expect out &&
	printf "just text\n" | pw-test hash >out &&
	test_cmp expect out
'

test_expect_success 'counts lose leading zeros; a missing count is 1' '
	printf "%s\n" "--- a/f" "+++ b/f" "@@ -3,007 +4 @@" " x" |
		pw-test hash >out &&
	printf -- "--- a/f\n+++ b/f\n@@ -7 +1 @@\n x\n" | sha1 >expect &&
	test_cmp expect out
'

test_expect_success 'quirk: a removed "-- x" line is rewritten as a filename' '
	printf "%s\n" "--- a/f" "+++ b/f" "@@ -1,2 +1 @@" "--- x" " y" |
		pw-test hash >out &&
	printf -- "--- a/f\n+++ b/f\n@@ -2 +1 @@\n--- a/\n y\n" | sha1 >expect &&
	test_cmp expect out
'

test_expect_success 'quirk: a final context line of one space is stripped' '
	printf "%s\n" "--- a/f" "+++ b/f" "@@ -1,2 +1,2 @@" "-a" "+b" " " |
		pw-test hash >out &&
	printf -- "--- a/f\n+++ b/f\n@@ -2 +2 @@\n-a\n+b\n" | sha1 >expect &&
	test_cmp expect out
'

test_expect_success 'filename lines: first component replaced, token ends at space' '
	printf "%s\n" "--- /dev/null" "+++ b/dir/new file.c	2024" "@@ -0,0 +1 @@" \
		"+x" "\\ No newline at end of file" "index abc..def" |
		pw-test hash >out &&
	printf -- "--- a/dev/null\n+++ b/dir/new\n@@ -0 +1 @@\n+x\n" | sha1 >expect &&
	test_cmp expect out
'

test_expect_success 'Go'"'"'s hash (no newline after rewritten lines) is not ours' '
	pw-test hash <meep.diff >out &&
	! grep -q 63fd8612c682c247a637f44bf9bf1c91f8f6c54e out
'

test_done
