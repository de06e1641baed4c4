#!/bin/sh
# pw ingress as a postfix pipe: every mail becomes the right object, with
# the events of spec §16, and every outcome exits 0 and is journaled.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org

test_expect_success 'a series with a cover letter, in order' '
	mkdir s1 && mkmail series s1 v1 3 --cover &&
	for f in s1/v1-00 s1/v1-01 s1/v1-02 s1/v1-03; do
		deliver $f || return 1
	done &&
	cat >expect <<-\EOF &&
	<v1-0@example.org>|v1 series|1|3|3|1,2,3
	EOF
	dump_series >actual &&
	test_cmp expect actual &&
	test "$(count mail "status = '"'"'stored'"'"'")" = 4 &&
	test "$(sql -c "SELECT c.name FROM series s JOIN cover c ON c.id = s.cover_letter_id")" = "[0/3] v1 series"
'

test_expect_success 'patches: names, numbers, initial state, hash' '
	cat >expect <<-\EOF &&
	<v1-1@example.org>|[1/3] v1: change 1|1|<v1-0@example.org>|new|-
	<v1-2@example.org>|[2/3] v1: change 2|2|<v1-0@example.org>|new|-
	<v1-3@example.org>|[3/3] v1: change 3|3|<v1-0@example.org>|new|-
	EOF
	dump_patches | cut -d"|" -f1-6 >actual &&
	test_cmp expect actual &&
	test "$(sql -c "SELECT count(*) FROM patch WHERE hash ~ '"'"'^[0-9a-f]{40}$'"'"'")" = 3
'

test_expect_success 'events of the in-order series (spec §16 table)' '
	cat >expect <<-\EOF &&
	series-created
	cover-created
	patch-created <v1-1@example.org>
	patch-completed <v1-1@example.org>
	patch-created <v1-2@example.org>
	patch-completed <v1-2@example.org>
	patch-created <v1-3@example.org>
	patch-completed <v1-3@example.org>
	series-completed
	EOF
	events_since 0 >actual &&
	test_cmp expect actual
'

test_expect_success 'a v2, not threaded, is a second series' '
	mkdir s2 && mkmail series s2 v2 3 --cover --version 2 --date 1700003600 &&
	for f in s2/*; do deliver $f || return 1; done &&
	sql -c "SELECT name, version, total FROM series ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	v1 series|1|3
	v2 series|2|3
	EOF
	test_cmp expect actual
'

test_expect_success 'a v2 threaded under the v1 cover is its own series' '
	mkdir s3 &&
	mkmail series s3 v3 2 --cover --version 3 --irt v1-0@example.org \
		--date 1700007200 &&
	for f in s3/*; do deliver $f || return 1; done &&
	test "$(sql -c "SELECT count(*) FROM series")" = 3 &&
	test "$(sql -c "SELECT total || '"'"':'"'"' || (SELECT count(*) FROM patch p WHERE p.series_id = s.id) FROM series s WHERE version = 3")" = 2:2 &&
	test "$(count cover_comment)" = 0
'

test_expect_success 'out of order without a cover: events when the gap closes' '
	mkdir s4 && mkmail series s4 oo 2 --date 1700100000 &&
	e=$(last_event) &&
	deliver s4/oo-02 &&
	cat >expect <<-\EOF &&
	patch-created <oo-2@example.org>
	series-created
	EOF
	events_since $e >actual &&
	test_cmp expect actual &&
	e=$(last_event) &&
	deliver s4/oo-01 &&
	cat >expect <<-\EOF &&
	patch-created <oo-1@example.org>
	patch-completed <oo-1@example.org>
	patch-completed <oo-2@example.org>
	series-completed
	EOF
	events_since $e >actual &&
	test_cmp expect actual &&
	test "$(sql -c "SELECT name FROM series s WHERE EXISTS (SELECT 1 FROM patch p WHERE p.series_id = s.id AND p.msgid = '"'"'<oo-1@example.org>'"'"')")" = "[1/2] oo: change 1"
'

test_expect_success 'an unnumbered patch: its own series, complete at once' '
	mkmail --msgid single@x --subject "[PATCH] one fix" --date 1700200000 >single &&
	e=$(last_event) &&
	deliver single &&
	cat >expect <<-\EOF &&
	patch-created <single@x>
	series-created
	patch-completed <single@x>
	series-completed
	EOF
	events_since $e >actual &&
	test_cmp expect actual
'

test_expect_success 'replies become comments; tags count patch and replies' '
	mkmail --msgid tagged@x --subject "[PATCH] tagged" --date 1700300000 \
		--body "Fix it.\n\nTested-by: T <t@example.org>" >tagged &&
	deliver tagged &&
	mkmail --msgid r1@x --subject "Re: [PATCH] tagged" --irt tagged@x \
		--file "" --from "Bob <bob@example.org>" --date 1700300100 \
		--body "> Fix it.\n\nReviewed-by: Bob <bob@example.org>\nAcked-by: Bob <bob@example.org>\n> Acked-by: not counted" >r1 &&
	e=$(last_event) &&
	deliver r1 &&
	mkmail --msgid r2@x --subject "Re: [PATCH] tagged" --irt r1@x \
		--refs tagged@x --file "" --date 1700300200 \
		--body "acked-by: again" >r2 &&
	deliver r2 &&
	cat >expect <<-\EOF &&
	patch-comment-created <tagged@x>
	patch-comment-created <tagged@x>
	EOF
	events_since $e >actual &&
	test_cmp expect actual &&
	sql -c "SELECT t.abbrev, pt.count FROM patch_tag pt JOIN tag t ON t.id = pt.tag_id JOIN patch p ON p.id = pt.patch_id WHERE p.msgid = '"'"'<tagged@x>'"'"' ORDER BY 1" >actual &&
	cat >expect <<-\EOF &&
	A|2
	R|1
	T|1
	EOF
	test_cmp expect actual &&
	test "$(count patch_comment)" = 2 &&
	test "$(sql -c "SELECT name FROM person WHERE email = '"'"'bob@example.org'"'"'")" = Bob
'

test_expect_success 'a reply to the cover is a cover comment; Action-Required' '
	mkmail --msgid cr@x --subject "Re: [PATCH 0/3] v1 series" \
		--irt v1-0@example.org --file "" --body "Nice series." \
		--header "X-Patchwork-Action-Required: yes" >cr &&
	e=$(last_event) &&
	deliver cr &&
	test "$(events_since $e)" = cover-comment-created &&
	test "$(sql -c "SELECT coalesce(addressed::text, '"'"'null'"'"') FROM cover_comment")" = false &&
	test "$(sql -c "SELECT count(*) FROM patch_comment WHERE addressed IS NULL")" = 2
'

test_expect_success 'use_tags off: no tag counts' '
	add_project notags notags.example.org &&
	sql -c "UPDATE project SET use_tags = false WHERE linkname = '"'"'notags'"'"'" &&
	mkmail --msgid nt@x --list notags.example.org --body "Acked-by: x" >nt &&
	deliver nt &&
	test "$(sql -c "SELECT count(*) FROM patch_tag pt JOIN patch p ON p.id = pt.patch_id WHERE p.msgid = '"'"'<nt@x>'"'"'")" = 0
'

test_expect_success 'X-Patchwork-State sets the initial state' '
	mkmail --msgid st1@x --header "X-Patchwork-State: rfc" >st1 &&
	mkmail --msgid st2@x --header "X-Patchwork-State: Nonexistent" >st2 &&
	deliver st1 && deliver st2 &&
	test "$(sql -c "SELECT s.slug FROM patch p JOIN state s ON s.id = p.state_id WHERE msgid = '"'"'<st1@x>'"'"'")" = rfc &&
	test "$(sql -c "SELECT s.slug FROM patch p JOIN state s ON s.id = p.state_id WHERE msgid = '"'"'<st2@x>'"'"'")" = new
'

test_expect_success 'delegation by X-Patchwork-Delegate and by file rules' '
	sql -c "INSERT INTO auth_user (username, email) VALUES
		('"'"'alice'"'"', '"'"'Alice@Maint.example.org'"'"'),
		('"'"'bob'"'"', '"'"'bob@maint.example.org'"'"')" &&
	sql -c "INSERT INTO delegation_rule (project_id, user_id, path, priority)
		SELECT p.id, u.id, r.path, r.prio FROM project p,
		(VALUES ('"'"'alice'"'"', '"'"'drivers/net/*'"'"', 10),
			('"'"'bob'"'"', '"'"'drivers/*'"'"', 0)) AS r(u, path, prio)
		JOIN auth_user u ON u.username = r.u WHERE p.linkname = '"'"'test'"'"'" &&
	mkmail --msgid d1@x --header "X-Patchwork-Delegate: alice@maint.example.org" --file docs/x.rst >d1 &&
	mkmail --msgid d2@x --file drivers/net/a.c >d2 &&
	mkmail --msgid d3@x --file drivers/usb/b.c >d3 &&
	mkmail --msgid d4@x --file docs/y.rst >d4 &&
	mkmail --msgid d5@x --header "X-Patchwork-Delegate: nobody" --file drivers/usb/c.c >d5 &&
	for f in d1 d2 d3 d4 d5; do deliver $f || return 1; done &&
	sql -c "SELECT p.msgid, coalesce(u.username, '"'"'-'"'"') FROM patch p LEFT JOIN auth_user u ON u.id = p.delegate_id WHERE p.msgid LIKE '"'"'<d_@x>'"'"' ORDER BY 1" >actual &&
	cat >expect <<-\EOF &&
	<d1@x>|alice
	<d2@x>|alice
	<d3@x>|bob
	<d4@x>|-
	<d5@x>|bob
	EOF
	test_cmp expect actual
'

test_expect_success 'the same bytes again: exit 0, nothing new' '
	before=$(dump_all; count mail; count person) &&
	deliver s1/v1-02 &&
	deliver s1/v1-00 &&
	after=$(dump_all; count mail; count person) &&
	test "$before" = "$after" &&
	test "$(sql -c "SELECT attempts FROM mail WHERE msgid = '"'"'<v1-2@example.org>'"'"'")" = 2
'

test_expect_success 'another copy of a stored mail (other bytes): duplicate' '
	sed "s/^To: .*/To: other@example.org/" s1/v1-01 >copy &&
	before=$(dump_all) &&
	deliver copy &&
	test "$before" = "$(dump_all)" &&
	test "$(sql -c "SELECT status FROM mail ORDER BY id DESC LIMIT 1")" = duplicate &&
	sed "s/^To: .*/To: other@example.org/" cr >crcopy &&
	deliver crcopy &&
	test "$(count cover_comment)" = 1 &&
	test "$(sql -c "SELECT status FROM mail ORDER BY id DESC LIMIT 1")" = duplicate
'

test_expect_success 'a threaded cover delivered again is a duplicate (D1)' '
	sed "s/^To: .*/To: again@example.org/" s3/v3-00 >cover-again &&
	deliver cover-again &&
	test "$(count cover_comment)" = 1 &&
	test "$(sql -c "SELECT status FROM mail ORDER BY id DESC LIMIT 1")" = duplicate
'

test_expect_success 'malformed mail: exit 0, journaled with the reason' '
	printf "From: a@example.org\nSubject: no id\n\nbody\n" >bad1 &&
	deliver bad1 2>err &&
	test_grep "kept in the mail journal" err &&
	test $(wc -l <err) = 1 &&
	test "$(sql -c "SELECT status || '"'"':'"'"' || reason FROM mail ORDER BY id DESC LIMIT 1")" = "malformed:Missing '"'"'Message-Id'"'"' header" &&
	mkmail --msgid badfrom@x --from "root@localhost" >bad2 &&
	deliver bad2 2>err &&
	test "$(sql -c "SELECT status FROM mail ORDER BY id DESC LIMIT 1")" = malformed &&
	test "$(count patch "msgid = '"'"'<badfrom@x>'"'"'")" = 0 &&
	printf "\000\001\002 garbage" >bad3 &&
	deliver bad3 &&
	test "$(sql -c "SELECT status FROM mail ORDER BY id DESC LIMIT 1")" = malformed &&
	test "$(sql -c "SELECT size FROM mail ORDER BY id DESC LIMIT 1")" = 11
'

test_expect_success 'no project: exit 0, journaled as no_project with the bytes' '
	mkmail --msgid lost@x --list unknown.example.org >lost &&
	deliver lost &&
	test "$(sql -c "SELECT status || '"'"'|'"'"' || reason FROM mail WHERE msgid = '"'"'<lost@x>'"'"'")" = "no_project|no project for list id unknown.example.org" &&
	sql -c "SELECT encode(raw, '"'"'escape'"'"') FROM mail WHERE msgid = '"'"'<lost@x>'"'"'" >raw &&
	head -c 100 lost >a && head -c 100 raw >b && test_cmp a b
'

test_expect_success '--list-id forces the project' '
	deliver lost --list-id test.example.org &&
	test "$(count patch "msgid = '"'"'<lost@x>'"'"'")" = 1
'

test_expect_success 'ignored (hint), dropped (orphan reply, no content)' '
	mkmail --msgid ign@x --header "X-Patchwork-Hint: ignore" >ign &&
	deliver ign &&
	test "$(sql -c "SELECT status FROM mail WHERE msgid = '"'"'<ign@x>'"'"'")" = ignored &&
	mkmail --msgid orphan@x --subject "Re: something" --irt nowhere@x --file "" --body hi >orphan &&
	deliver orphan &&
	test "$(sql -c "SELECT status FROM mail WHERE msgid = '"'"'<orphan@x>'"'"'")" = dropped &&
	test "$(count patch "msgid IN ('"'"'<ign@x>'"'"', '"'"'<orphan@x>'"'"')")" = 0
'

test_expect_success 'a mail over the size limit: journaled as too big' '
	cat >small.conf <<-\EOF &&
	ingress {
		max_message_size = 2K
	}
	EOF
	mkmail --msgid big@x --body "$(printf "%0500d" 0)\n$(printf "%0500d" 0)\n$(printf "%0500d" 0)\n$(printf "%0500d" 0)\n$(printf "%0500d" 0)" >big &&
	pw -c small.conf ingress <big &&
	sql -c "SELECT status, reason, size = $(wc -c <big), raw IS NULL FROM mail ORDER BY id DESC LIMIT 1" >actual &&
	echo "malformed|too big: $(wc -c <big) bytes|t|t" >expect &&
	test_cmp expect actual &&
	test "$(count patch "msgid = '"'"'<big@x>'"'"'")" = 0
'

test_expect_success 'Depends-on: the msgid of another series'"'"'s patch' '
	mkdir dep && mkmail series dep dp 1 --cover --date 1700400000 &&
	sed -i "s/^This is the dp cover letter./Needs v2.\n\nDepends-on: <v2-1@example.org>/" dep/dp-00 &&
	for f in dep/*; do deliver $f || return 1; done &&
	sql -c "SELECT a.version, b.version FROM series_dependency d JOIN series a ON a.id = d.from_series_id JOIN series b ON b.id = d.to_series_id" >actual &&
	echo "1|2" >expect &&
	test_cmp expect actual
'

test_expect_success 'people: case-insensitive, the latest non-empty name' '
	mkmail --msgid p1@x --from "existing@example.com" >p1 &&
	mkmail --msgid p2@x --from "Existing Sender <existing@example.com>" >p2 &&
	mkmail --msgid p3@x --from "EXISTING@EXAMPLE.COM" >p3 &&
	for f in p1 p2 p3; do deliver $f || return 1; done &&
	sql -c "SELECT email, coalesce(name, '"'"'-'"'"') FROM person WHERE lower(email) = '"'"'existing@example.com'"'"'" >actual &&
	echo "existing@example.com|Existing Sender" >expect &&
	test_cmp expect actual
'

test_expect_success 'bad command line or configuration: 75, never anything else' '
	test_expect_code 75 pw ingress --no-such-option <s1/v1-01 &&
	echo "nonsense = 1" >bad.conf &&
	test_expect_code 75 pw ingress -c bad.conf <s1/v1-01 &&
	test_expect_code 75 pw ingress extra-argument <s1/v1-01
'

test_expect_success 'pipe(8) with several ${recipient}s: stored, not deferred' '
	mkmail --msgid multi-rcpt@x --subject "[PATCH] to two lists" >mr &&
	deliver mr -f sender@example.org -r a@example.org b@example.org &&
	test "$(count patch "msgid = '"'"'<multi-rcpt@x>'"'"'")" = 1
'

test_expect_success 'operands without -r are still deferred (75), not bounced' '
	test_expect_code 75 pw ingress stray-operand <mr
'

test_done
