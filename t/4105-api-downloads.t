#!/bin/sh
# Downloads (REST spec 14): patch mbox (with ?series=), raw diff, cover,
# series and bundle mboxes, byte for byte; file names; redirects by id;
# Message-Ids with '/'; a large series streamed.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup
sql >/dev/null <<\EOF
INSERT INTO person (id, email, name) VALUES (4, 'jd@example.com', 'Jörg Doehrmannson');
-- A patch the list munged (DMARC), without a Date header, with a
-- postscript, a delegate and comments carrying trailers.
INSERT INTO patch (id, project_id, msgid, date, name, submitter_id, state_id,
	delegate_id, headers, content, diff) VALUES
(5, 1, '<5-b@example.com>', '2024-05-03 09:08:07', 'net: dmarc', 2, 1, 1,
 E'Received: from a by b;\n\tFri, 3 May 2024 09:08:07 +0000\nFrom: =?utf-8?q?J=C3=B6rg_Doe?= via Netdev <net@lists.example.org>\nSubject: [PATCH] net: dmarc\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nMessage-Id: <5-b@example.com>\nReply-To: other@example.com',
 E'\n  Jörg''s fix.\n\nSigned-off-by: Jörg Doe <other@example.com>\n---\nv2: fewer bugs\n \n',
 E'diff --git a/d b/d\n--- a/d\n+++ b/d\n@@ -1 +1 @@\n-x\n+y\n'),
-- A pull request (no diff) whose signature separator starts the
-- postscript, by a long non-ASCII name; a Message-Id with a '/'.
(6, 1, '<a/b@example.com>', '2024-05-03 10:00:00', 'Pull: stuff', 4, 1, NULL,
 E'From: =?utf-8?q?J=C3=B6rg_Doehrmannson?= <jd@example.com>\nDate: Fri, 3 May 2024 10:00:00 +0000\nSubject: [GIT PULL] stuff',
 E'Please pull.\n-- \nJD\n', NULL);
INSERT INTO patch_comment (id, patch_id, msgid, date, submitter_id, headers,
	content) VALUES
(2, 5, '<c2@example.org>', '2024-05-05 00:00:00', 3, '', E'Reported-by: R <r@example.org>'),
(3, 5, '<c1@example.org>', '2024-05-04 00:00:00', 3, '',
 E'Nice.\nacked-BY: Rev <rev@example.org>\n> Tested-by: quoted <q@example.org>\nTested-by: T <t@example.org>\n'),
(4, 5, '<c3@example.org>', '2024-05-06 00:00:00', 3, '', E'Thanks!\n');
EOF

test_expect_success 'patch mbox: DMARC, no Date, postscript, trailers, 8bit' '
	api GET /project/net/patch/5-b@example.com/mbox/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Type)" = "text/plain; charset=utf-8" &&
	test "$(http_header Content-Disposition)" = "attachment; filename=net-dmarc.patch" &&
	cat >expect <<-\EOF &&
	From patchwork Fri May  3 09:08:07 2024
	Content-Type: text/plain; charset="utf-8"
	MIME-Version: 1.0
	Content-Transfer-Encoding: 8bit
	X-Patchwork-Submitter: =?utf-8?b?SsO2cmcgRG9l?= <other@example.com>
	X-Patchwork-Id: 5
	X-Patchwork-Delegate: maint@example.org
	Received: from a by b;
	<TAB>Fri, 3 May 2024 09:08:07 +0000
	X-Patchwork-Original-From: =?utf-8?q?J=C3=B6rg_Doe?= via Netdev
	 <net@lists.example.org>
	From: =?utf-8?b?SsO2cmcgRG9l?= <other@example.com>
	Subject: [PATCH] net: dmarc
	Message-Id: <5-b@example.com>
	Reply-To: other@example.com
	Date: Fri, 03 May 2024 09:08:07 -0000

	Jörg'"'"'s fix.

	Signed-off-by: Jörg Doe <other@example.com>
	acked-BY: Rev <rev@example.org>
	Tested-by: T <t@example.org>
	Reported-by: R <r@example.org>
	---
	v2: fewer bugs

	diff --git a/d b/d
	--- a/d
	+++ b/d
	@@ -1 +1 @@
	-x
	+y
	EOF
	sed "s/^<TAB>/	/" expect >expect.tab &&
	test_cmp expect.tab body
'

# Headers longer than 78 columns, as the parser stored them, and a
# message written with CRLF line ends (and a lone CR).
sql >/dev/null <<\EOF
INSERT INTO patch (id, project_id, msgid, date, name, submitter_id, state_id,
	headers, content, diff) VALUES
(9, 1, '<9-fold@example.com>', '2024-05-07 08:00:00', 'fold', 2, 1,
 E'Subject: [PATCH v3 12/17] drivers: net: ethernet: a rather long subject line that goes past the limit, really\nReferences: <aaaaaaaaaaaaaaaaaaaa@example.org> <bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@example.org> <ccccccccccccccccc@example.org>\nTo: a@b.c, dddddddddddddddddddddddd@example.org, eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee@example.org; x@y.z\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbb\nX-Long2: x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbb\nReceived: from a by b;\n\tFri, 3 May 2024 09:08:07 +0000\nX-Cont: short\n   \n\tmore text\nX-Utf8: Jörg Doehrmannson Jörg Doehrmannson Jörg Doehrmannson Jörg Doehrmannson\nDate: Tue, 7 May 2024 08:00:00 +0000',
 E'Line one.\r\nLine two.\rLine three.\r\n\r\nSigned-off-by: A <a@example.org>\r\n',
 E'diff --git a/w b/w\r\n--- a/w\r\n+++ b/w\r\n@@ -1 +1 @@\r\n-x\r\n+y\r\n');
EOF

test_expect_success 'long headers are folded as Python folds them; line ends become LF' '
	api GET /project/net/patch/9-fold@example.com/mbox/ &&
	test_expect_status 200 &&
	sed -n "/^Subject:/,/^\$/p" body >got &&
	cat >expect <<-\EOF &&
	Subject: [PATCH v3 12/17] drivers: net: ethernet: a rather long subject line
	 that goes past the limit, really
	References: <aaaaaaaaaaaaaaaaaaaa@example.org>
	 <bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@example.org>
	 <ccccccccccccccccc@example.org>
	To: a@b.c, dddddddddddddddddddddddd@example.org,
	 eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee@example.org; x@y.z
	X-Long:<SP>
	 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	 bbb
	X-Long2: x
	 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	 bbb
	Received: from a by b;
	<TAB>Fri, 3 May 2024 09:08:07 +0000
	X-Cont: short<SP><SP><SP>
	<TAB>more text
	X-Utf8: Jörg Doehrmannson Jörg Doehrmannson Jörg Doehrmannson Jörg Doehrmannson
	Date: Tue, 7 May 2024 08:00:00 +0000

	EOF
	sed -e "s/^<TAB>/	/" -e "s/<SP>/ /g" expect >expect.tab &&
	test_cmp expect.tab got &&
	! grep -q "$(printf "\r")" body &&
	sed -n "/^Line one/,\$p" body >got &&
	cat >expect <<-\EOF &&
	Line one.
	Line two.
	Line three.

	Signed-off-by: A <a@example.org>

	diff --git a/w b/w
	--- a/w
	+++ b/w
	@@ -1 +1 @@
	-x
	+y
	EOF
	test_cmp expect got
'

test_expect_success 'pull request: "-- " starts the postscript; q-encoded name' '
	api GET /project/net/patch/a%2Fb@example.com/mbox/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Disposition)" = "attachment; filename=Pull-stuff.patch" &&
	cat >expect <<-\EOF &&
	From patchwork Fri May  3 10:00:00 2024
	Content-Type: text/plain; charset="utf-8"
	MIME-Version: 1.0
	Content-Transfer-Encoding: 7bit
	X-Patchwork-Submitter: =?utf-8?q?J=C3=B6rg_Doehrmannson?= <jd@example.com>
	X-Patchwork-Id: 6
	From: =?utf-8?q?J=C3=B6rg_Doehrmannson?= <jd@example.com>
	Date: Fri, 3 May 2024 10:00:00 +0000
	Subject: [GIT PULL] stuff

	Please pull.
	---
	JD
	EOF
	test_cmp expect body &&
	api GET /project/net/patch/a%252Fb@example.com/mbox/ &&
	test_expect_status 200 &&
	test_cmp expect body &&
	api GET /project/net/patch/a%252Fb@example.com/raw/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Disposition)" = "attachment; filename=Pull-stuff.diff" &&
	test_must_be_empty body
'

# The series' messages as the fixture stores them.
msg() {
	printf "From patchwork Wed May  1 10:11:1%s 2024\n" "$2"
	printf "Content-Type: text/plain; charset=\"utf-8\"\nMIME-Version: 1.0\n"
	printf "Content-Transfer-Encoding: 7bit\n"
	printf "X-Patchwork-Submitter: Sub Mitter <sub@example.com>\n"
	printf "X-Patchwork-Id: %s\n" "$1"
	[ "$1" = 2 ] && printf "X-Patchwork-Delegate: deleg@example.org\n"
	printf "From: Sub Mitter <sub@example.com>\n"
	printf "Subject: [PATCH v2 %s/3] net: fix %s\n" "$1" "$3"
	printf "Message-Id: <%s-a@example.com>\n" "$1"
	if [ "$1" = 1 ]; then
		printf "Date: Wed,  1 May 2024 10:11:12 +0000\n\n"
		printf "Fix foo.\n\nSigned-off-by: Sub Mitter <sub@example.com>\n"
	else
		printf "Date: Wed, 01 May 2024 10:11:1%s -0000\n\n" "$2"
		printf "Fix %s.\n" "$3"
		[ "$1" = 2 ] && printf "Reviewed-by: A. Reviewer <rev@example.org>\n"
	fi
	printf "\ndiff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n@@ -1 +1 @@\n-a\n+b\n" \
		"$3" "$3" "$3" "$3"
}

test_expect_success 'patch mbox ?series=*: the earlier patches first' '
	{ msg 1 2 foo && echo && msg 2 3 bar && echo && msg 3 4 baz; } >expect &&
	api GET "/project/net/patch/3-a@example.com/mbox/?series=*" &&
	test_expect_status 200 &&
	test "$(http_header Content-Disposition)" = "attachment; filename=v2-3-3-net-fix-baz.patch" &&
	test_cmp expect body &&
	api GET "/project/net/patch/3-a@example.com/mbox/?foo=1&series=1" &&
	test_cmp expect body &&
	api GET "/project/net/patch/1-a@example.com/mbox/?series=*" &&
	msg 1 2 foo >expect &&
	test_cmp expect body &&
	api GET "/project/net/patch/3-a@example.com/mbox/?series=" &&
	msg 3 4 baz >expect &&
	test_cmp expect body
'

test_expect_success 'series mbox: every patch by number, no cover' '
	{ msg 1 2 foo && echo && msg 2 3 bar && echo && msg 3 4 baz; } >expect &&
	api GET /series/1/mbox/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Type)" = text/plain &&
	test "$(http_header Content-Disposition)" = "attachment; filename=net-foo-fixes.patch" &&
	test_cmp expect body &&
	sql -c "INSERT INTO series (id, project_id, date, submitter_id)
		VALUES (7, 1, now(), 1)" &&
	api GET /series/7/mbox/ &&
	test "$(http_header Content-Disposition)" = "attachment; filename=Untitled-series-7.patch" &&
	test_must_be_empty body
'

test_expect_success 'cover mbox, with its comments'"'"' trailers' '
	api GET /project/net/cover/0-a@example.com/mbox/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Type)" = text/plain &&
	test "$(http_header Content-Disposition)" = "attachment; filename=v2-0-3-net-foo-fixes.mbox" &&
	cat >expect <<-\EOF &&
	From patchwork Wed May  1 10:11:10 2024
	Content-Type: text/plain; charset="utf-8"
	MIME-Version: 1.0
	Content-Transfer-Encoding: 7bit
	X-Patchwork-Submitter: Sub Mitter <sub@example.com>
	X-Patchwork-Id: 1
	From: Sub Mitter <sub@example.com>
	Subject: [PATCH v2 0/3] net: foo fixes
	Message-Id: <0-a@example.com>
	Date: Wed,  1 May 2024 10:11:10 +0000

	These fix foo.
	Acked-by: A. Reviewer <rev@example.org>
	EOF
	test_cmp expect body
'

test_expect_success 'what is not there is a 404 page' '
	api GET "/project/net/patch/4-a@example.com/mbox/" && test_expect_status 404 &&
	api GET "/project/other/patch/4-a@example.com/mbox/?series=*" &&
	test_expect_status 404 &&
	api GET "/project/net/patch/3-a@example.com/mbox/?series=2" && test_expect_status 404 &&
	api GET "/project/net/patch/3-a@example.com/mbox/?series=x" && test_expect_status 404 &&
	api GET /project/net/cover/1-a@example.com/mbox/ && test_expect_status 404 &&
	api GET /series/99/mbox/ && test_expect_status 404 &&
	api GET /bundle/user/none/mbox/ && test_expect_status 404 &&
	test "$(http_header Content-Type)" = "text/html; charset=utf-8"
'

test_expect_success 'by id: a 302 to the Message-Id URL, query kept' '
	api GET "/patch/3/mbox/?series=*" &&
	test_expect_status 302 &&
	test "$(http_header Location)" = "/project/net/patch/3-a@example.com/mbox/?series=*" &&
	api GET /patch/6/raw/ &&
	test "$(http_header Location)" = "/project/net/patch/a%2Fb@example.com/raw/" &&
	api GET /cover/1/mbox/ &&
	test "$(http_header Location)" = "/project/net/cover/0-a@example.com/mbox/" &&
	api GET /patch/99/mbox/ && test_expect_status 404
'

test_expect_success 'the API mbox links work' '
	api GET /api/patches/6/ &&
	url=$(json_get mbox) &&
	api GET "${url#http://testserver}" &&
	test_expect_status 200 &&
	api GET /api/series/1/ &&
	url=$(json_get mbox) && api GET "${url#http://testserver}" &&
	test_expect_status 200 &&
	api GET /api/covers/1/ &&
	url=$(json_get mbox) && api GET "${url#http://testserver}" &&
	test_expect_status 200
'

test_expect_success 'a big series is streamed, whole' '
	sql -c "INSERT INTO series (id, project_id, name, date, submitter_id, total)
		VALUES (8, 1, \$\$big\$\$, now(), 1, 60);
		INSERT INTO patch (project_id, msgid, date, name, submitter_id,
			state_id, series_id, number, headers, content, diff)
		SELECT 1, \$\$<big-\$\$ || n || \$\$@example.com>\$\$, now(),
			\$\$big \$\$ || n, 1, 1, 8, n, \$\$Subject: big\$\$,
			\$\$Big.\$\$, repeat(\$\$+ line of a big diff\$\$ || chr(10), 600)
		FROM generate_series(1, 60) n" &&
	api GET /series/8/mbox/ &&
	test_expect_status 200 &&
	test -z "$(http_header Content-Length)" &&
	test "$(grep -c "^From patchwork " body)" = 60 &&
	test "$(grep -c "^+ line of a big diff" body)" = 36000 &&
	tail -n 1 body | grep -q "^+ line of a big diff" &&
	api HEAD /series/8/mbox/ &&
	test_expect_status 200 &&
	test "$(http_header Content-Length)" -gt 700000 &&
	test_must_be_empty body
'

test_done
