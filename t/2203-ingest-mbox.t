#!/bin/sh
# pw ingress --mbox: archive import of mbox files and Maildirs, its
# summary, idempotent re-runs, and a run killed half-way.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org

# to_mbox FILE...: an mboxrd of the mails (From_ lines, >From escaping)
to_mbox() {
	for f; do
		echo "From mkmail@example.org Thu Jan  1 00:00:00 2024"
		sed 's/^\(>*From \)/>\1/' "$f"
		echo
	done
}

# gen_mbox N: N single patches, each followed by a reply, as an mbox,
# quickly (awk, not a process per mail)
gen_mbox() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			print "From gen@example.org Thu Jan  1 00:00:00 2024"
			print "From: Gen Erator <gen@example.org>"
			print "Subject: [PATCH] generated change " i
			print "Date: Tue, 14 Nov 2023 22:13:20 +0000"
			print "Message-Id: <gen-" i "@example.org>"
			print "List-Id: <test.example.org>"
			print ""
			print "Generated change " i "."
			print ""
			print "---"
			print "diff --git a/f" i ".c b/f" i ".c"
			print "--- a/f" i ".c"
			print "+++ b/f" i ".c"
			print "@@ -1 +1,2 @@"
			print " x"
			print "+y" i
			print ""
			print "From gen@example.org Thu Jan  1 00:00:00 2024"
			print "From: Rev Iewer <rev@example.org>"
			print "Subject: Re: [PATCH] generated change " i
			print "Date: Tue, 14 Nov 2023 23:13:20 +0000"
			print "Message-Id: <gen-r" i "@example.org>"
			print "In-Reply-To: <gen-" i "@example.org>"
			print "List-Id: <test.example.org>"
			print ""
			print "Reviewed-by: Rev Iewer <rev@example.org>"
			print ""
		}
	}'
}

test_expect_success 'setup: a series, replies, odd mails' '
	mkdir m && mkmail series m a 3 --cover &&
	mkmail --msgid r1@x --subject "Re: [PATCH 1/3] a: change 1" \
		--irt a-1@example.org --file "" --body "From the start, fine.\n\nAcked-by: R <r@example.org>" >m/r1 &&
	mkmail --msgid r2@x --subject "Re: [PATCH 0/3] a series" \
		--irt a-0@example.org --file "" --body "Thanks." >m/r2 &&
	mkmail --msgid np@x --list elsewhere.example.org >m/np &&
	mkmail --msgid ig@x --header "X-Patchwork-Hint: ignore" >m/ig &&
	mkmail --msgid orphan@x --subject "Re: what" --irt none@x --file "" --body "?" >m/orphan &&
	printf "Subject: nothing else\n\nbody\n" >m/bad &&
	to_mbox m/a-00 m/a-01 m/a-02 m/a-03 m/r1 m/r2 m/np m/ig m/orphan m/bad >all.mbox &&
	grep -q "^>From the start" all.mbox
'

test_expect_success 'import: every mail, and the summary' '
	pw ingress --mbox all.mbox >out &&
	cat >expect <<-\EOF &&
	  patches:       3
	  cover letters: 1
	  comments:      2
	  duplicates:    0
	  ignored:       1
	  dropped:       1
	  no project:    1
	  malformed:     1
	  failed:        0
	Total: 6 new entries
	EOF
	sed 1d out >actual &&
	test_cmp expect actual &&
	grep "^Processed 10 messages" out &&
	cat >expect <<-\EOF &&
	<a-0@example.org>|a series|1|3|3|1,2,3
	EOF
	dump_series >actual &&
	test_cmp expect actual &&
	test "$(count mail)" = 10
'

test_expect_success 'mboxrd unescaping and the envelope sender' '
	sql -c "SELECT content FROM patch_comment WHERE msgid = '"'"'<r1@x>'"'"'" >c &&
	grep "^From the start" c &&
	test "$(sql -c "SELECT DISTINCT envelope_from FROM mail")" = mkmail@example.org &&
	sql -c "SELECT encode(raw, '"'"'escape'"'"') FROM mail WHERE msgid = '"'"'<r1@x>'"'"'" >raw &&
	grep "^From the start" raw && ! grep "^>From" raw
'

test_expect_success 'a second run adds nothing (duplicates)' '
	before=$(dump_all; count mail; count patch_comment; count cover_comment) &&
	pw ingress --mbox all.mbox >out &&
	grep "duplicates:    9" out &&
	grep "no project:    1" out &&
	grep "^Total: 0 new entries" out &&
	test "$before" = "$(dump_all; count mail; count patch_comment; count cover_comment)"
'

test_expect_success 'stdin, and the same mails as another copy: duplicates' '
	for f in m/a-01 m/a-02; do sed "s/^To: .*/To: copy@example.org/" $f >$f.copy; done &&
	to_mbox m/a-01.copy m/a-02.copy | pw ingress --mbox >out &&
	grep "duplicates:    2" out &&
	test "$(count patch)" = 3
'

test_expect_success 'a Maildir' '
	mkdir -p md/cur md/new md/tmp &&
	mkmail --msgid md1@x --subject "[PATCH] maildir one" >md/cur/1700000001.1.host:2,S &&
	mkmail --msgid md2@x --subject "[PATCH] maildir two" >md/new/1700000002.2.host &&
	pw ingress --mbox md >out &&
	grep "patches:       2" out &&
	test "$(count patch "msgid IN ('"'"'<md1@x>'"'"', '"'"'<md2@x>'"'"')")" = 2
'

test_expect_success 'a missing file: 66 (EX_NOINPUT)' '
	test_expect_code 66 pw ingress --mbox no-such.mbox
'

test_expect_success '--list-id applies to every mail of the import' '
	to_mbox m/np >np.mbox &&
	pw ingress --mbox --list-id test.example.org np.mbox >out &&
	grep "patches:       1" out &&
	test "$(count patch "msgid = '"'"'<np@x>'"'"'")" = 1
'

test_expect_success 'a large mail alone, and one over the size limit' '
	mkmail --msgid large@x --subject "[PATCH] large" --file "" --body "A big new file." >m/large &&
	{
		printf -- "---\ndiff --git a/big.txt b/big.txt\nnew file mode 100644\n"
		printf -- "--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,90000 @@\n"
		awk "BEGIN { for (i = 0; i < 90000; i++) printf \"+line %064d\\n\", i }"
	} >>m/large &&
	test $(wc -c <m/large) -gt 6000000 &&
	mkmail --msgid small1@x --subject "[PATCH] small one" >m/small1 &&
	mkmail --msgid small2@x --subject "[PATCH] small two" >m/small2 &&
	to_mbox m/small1 m/large m/small2 >large.mbox &&
	pw ingress --mbox large.mbox >out &&
	grep "patches:       3" out &&
	test "$(sql -c "SELECT length(diff) > 6000000 FROM patch WHERE msgid = '"'"'<large@x>'"'"'")" = t &&
	cat >tiny.conf <<-\EOF &&
	ingress {
		max_message_size = 4K
	}
	EOF
	{ cat m/small2 && head -c 6000 m/large; } >m/toolong &&
	to_mbox m/small1 m/toolong >toolong.mbox &&
	pw -c tiny.conf ingress --mbox toolong.mbox >out &&
	grep "malformed:     1" out && grep "duplicates:    1" out &&
	sql -c "SELECT status, size > 6000, raw IS NULL, reason LIKE '"'"'too big%'"'"' FROM mail ORDER BY id DESC LIMIT 1" >actual &&
	echo "malformed|t|t|t" >expect &&
	test_cmp expect actual
'

test_expect_success 'killed with SIGKILL half-way, run again: no loss, no duplicates' '
	gen_mbox 1500 >big.mbox &&
	cat >batch.conf <<-\EOF &&
	ingress {
		batch_size = 25
	}
	EOF
	base_mail=$(count mail) &&
	{ pw -c batch.conf ingress --mbox big.mbox >/dev/null 2>&1 & } &&
	imp=$! &&
	while test "$(count mail)" -lt $((base_mail + 200)); do sleep 0.02; done &&
	kill -KILL $imp && { wait $imp; true; } &&
	partial=$(($(count mail) - base_mail)) &&
	test "$partial" -lt 3000 &&
	test $((partial % 25)) = 0 &&
	pw -c batch.conf ingress --mbox big.mbox >out &&
	test "$(count mail "msgid LIKE '"'"'<gen-%'"'"'")" = 3000 &&
	test "$(count patch "msgid LIKE '"'"'<gen-%'"'"'")" = 1500 &&
	test "$(count patch_comment "msgid LIKE '"'"'<gen-r%'"'"'")" = 1500 &&
	grep "duplicates:    $partial\$" out &&
	test "$(sql -c "SELECT count(*) FROM patch_tag pt JOIN patch p ON p.id = pt.patch_id WHERE p.msgid LIKE '"'"'<gen-%'"'"' AND pt.count = 1")" = 1500
'

test_done
