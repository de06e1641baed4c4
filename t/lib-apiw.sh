# t/lib-apiw.sh: data and requests for the tests of API writes.  Source
# it after lib.sh and lib-http.sh, then call apiw_setup once.
#
#	apiw_setup            database, configuration (base_url
#	                      http://testserver), and the fixture below
#	api METHOD PATH [NAME=VALUE...]    one request as CGI, no body
#	apij METHOD PATH JSON [NAME=VALUE...]   with a JSON body
#	apif METHOD PATH FORM [NAME=VALUE...]   with a urlencoded body
#	                      $AUTH (e.g. AUTH="Token $TOK_MAINT") is sent as
#	                      the Authorization header; the response lands
#	                      in ./headers and ./body (lib-http.sh)
#	json_get KEY...       a value of ./body (jq-like path: a.b.0.c)
#
# The fixture: project "net" (id 1, list net@lists.example.org) and
# project "other" (id 2); users maint (1, maintainer of net), deleg (2,
# maintainer of other, delegate of patch 2 of net), sub (3, linked to
# person 1, who sent the patches and the cover), user (4, nobody in
# particular), admin (5, is_admin, maintains nothing), inactive (6), rev
# (7, linked to person 3, who wrote the comments); a token each, in
# $TOK_<NAME>; all with the password "secret" (a pbkdf2_sha256 hash at
# the iterations we make, so no re-hash happens).  Patches 1..3 form
# series 1 of net (numbers 1-3) with cover 1; patch 4 is in "other".
# Patch comment 1 (on patch 2) and cover comment 1 carry review trailers.

# pbkdf2_sha256 of "secret", 1,000,000 iterations, a 22-character salt.
APIW_SECRET_HASH='pbkdf2_sha256$1000000$abcdefghijklmnopqrstuv$tW94pSigUM2AlIkWSQO4yVeVgz1Hy8/tw6HFhR010Gk='

apiw_conf() {
	cat > "$TRASH/patchwork.conf" <<EOF
database {
	connect_timeout = 2
}
http {
	base_url = "${APIW_BASE_URL:-http://testserver}"
	max_body = ${APIW_MAX_BODY:-65536}
}
EOF
	PW_CONFIG=$TRASH/patchwork.conf
	export PW_CONFIG
}

# apiw_tok NAME: a fixed, valid token per user.
apiw_tok() {
	printf '%s' "$1" | sha1sum | cut -c1-40
}

apiw_fixture() {
	local u
	sql <<EOF
INSERT INTO project (id, linkname, name, listid, listemail, web_url,
	list_archive_url_format, send_notifications)
VALUES (1, 'net', 'Netdev', 'net.lists.example.org', 'net@lists.example.org',
	'', 'https://lore.example.org/r/{}', true),
       (2, 'other', 'Other', 'other.lists.example.org',
	'other@lists.example.org', '', '', false);
INSERT INTO auth_user (id, username, email, first_name, last_name, password,
	is_admin, is_active) VALUES
	(1, 'maint', 'maint@example.org', 'Mai', 'Ntainer', '$APIW_SECRET_HASH', false, true),
	(2, 'deleg', 'deleg@example.org', '', '', '$APIW_SECRET_HASH', false, true),
	(3, 'sub', 'sub@example.com', 'Sub', 'Mitter', '$APIW_SECRET_HASH', false, true),
	(4, 'user', 'user@example.org', '', '', '$APIW_SECRET_HASH', false, true),
	(5, 'admin', 'admin@example.org', '', '', '$APIW_SECRET_HASH', true, true),
	(6, 'inactive', 'inactive@example.org', '', '', '$APIW_SECRET_HASH', false, false),
	(7, 'rev', 'rev@example.org', '', '', '$APIW_SECRET_HASH', false, true);
SELECT setval(pg_get_serial_sequence('auth_user', 'id'), 100);
SELECT setval(pg_get_serial_sequence('project', 'id'), 100);
INSERT INTO project_maintainer (project_id, user_id) VALUES (1, 1), (2, 2);
INSERT INTO person (id, email, name, user_id) VALUES
	(1, 'sub@example.com', 'Sub Mitter', 3),
	(2, 'other@example.com', 'Jörg Doe', NULL),
	(3, 'rev@example.org', 'A. Reviewer', 7);
SELECT setval(pg_get_serial_sequence('person', 'id'), 100);
INSERT INTO series (id, project_id, name, date, submitter_id, version, total)
VALUES (1, 1, 'net: foo fixes', '2024-05-01 10:11:10', 1, 2, 3);
SELECT setval(pg_get_serial_sequence('series', 'id'), 100);
INSERT INTO patch (id, project_id, msgid, date, name, submitter_id, state_id,
	series_id, number, headers, content, diff, hash) VALUES
	(1, 1, '<1-a@example.com>', '2024-05-01 10:11:12', '[v2,1/3] net: fix foo', 1, 1, 1, 1,
	 E'From: Sub Mitter <sub@example.com>\nSubject: [PATCH v2 1/3] net: fix foo\nMessage-Id: <1-a@example.com>\nDate: Wed,  1 May 2024 10:11:12 +0000',
	 E'Fix foo.\n\nSigned-off-by: Sub Mitter <sub@example.com>\n',
	 E'diff --git a/foo b/foo\n--- a/foo\n+++ b/foo\n@@ -1 +1 @@\n-a\n+b\n', NULL),
	(2, 1, '<2-a@example.com>', '2024-05-01 10:11:13', '[v2,2/3] net: fix bar', 1, 1, 1, 2,
	 E'From: Sub Mitter <sub@example.com>\nSubject: [PATCH v2 2/3] net: fix bar\nMessage-Id: <2-a@example.com>',
	 E'Fix bar.\n', E'diff --git a/bar b/bar\n--- a/bar\n+++ b/bar\n@@ -1 +1 @@\n-a\n+b\n', NULL),
	(3, 1, '<3-a@example.com>', '2024-05-01 10:11:14', '[v2,3/3] net: fix baz', 1, 2, 1, 3,
	 E'From: Sub Mitter <sub@example.com>\nSubject: [PATCH v2 3/3] net: fix baz\nMessage-Id: <3-a@example.com>',
	 E'Fix baz.\n', E'diff --git a/baz b/baz\n--- a/baz\n+++ b/baz\n@@ -1 +1 @@\n-a\n+b\n', NULL),
	(4, 2, '<4-a@example.com>', '2024-05-02 09:00:00', 'other: thing', 1, 1, NULL, NULL,
	 E'From: Sub Mitter <sub@example.com>\nSubject: [PATCH] other: thing\nMessage-Id: <4-a@example.com>',
	 E'Thing.\n', E'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n', NULL);
SELECT setval(pg_get_serial_sequence('patch', 'id'), 100);
UPDATE patch SET delegate_id = 2 WHERE id = 2;
INSERT INTO cover (id, project_id, msgid, date, name, submitter_id, headers,
	content) VALUES (1, 1, '<0-a@example.com>', '2024-05-01 10:11:10',
	'[v2,0/3] net: foo fixes', 1,
	E'From: Sub Mitter <sub@example.com>\nSubject: [PATCH v2 0/3] net: foo fixes\nMessage-Id: <0-a@example.com>\nDate: Wed,  1 May 2024 10:11:10 +0000',
	E'These fix foo.\n');
SELECT setval(pg_get_serial_sequence('cover', 'id'), 100);
UPDATE series SET cover_letter_id = 1 WHERE id = 1;
INSERT INTO patch_comment (id, patch_id, msgid, date, submitter_id, headers,
	content) VALUES (1, 2, '<r1@example.org>', '2024-05-02 08:00:00', 3,
	E'From: A. Reviewer <rev@example.org>\nSubject: Re: [PATCH v2 2/3] net: fix bar\nMessage-Id: <r1@example.org>',
	E'Looks good.\n\nReviewed-by: A. Reviewer <rev@example.org>\n');
SELECT setval(pg_get_serial_sequence('patch_comment', 'id'), 100);
INSERT INTO cover_comment (id, cover_id, msgid, date, submitter_id, headers,
	content) VALUES (1, 1, '<r0@example.org>', '2024-05-02 08:00:00', 3,
	E'From: A. Reviewer <rev@example.org>\nSubject: Re: [PATCH v2 0/3] net: foo fixes\nMessage-Id: <r0@example.org>',
	E'For the series:\nAcked-by: A. Reviewer <rev@example.org>\n');
SELECT setval(pg_get_serial_sequence('cover_comment', 'id'), 100);
EOF
	for u in maint deleg sub user admin inactive rev; do
		sql -c "INSERT INTO auth_token (key, user_id)
			SELECT '$(apiw_tok $u)', id FROM auth_user
			WHERE username = '$u'" || return 1
	done
	TOK_MAINT=$(apiw_tok maint)
	TOK_DELEG=$(apiw_tok deleg)
	TOK_SUB=$(apiw_tok sub)
	TOK_USER=$(apiw_tok user)
	TOK_ADMIN=$(apiw_tok admin)
	TOK_INACTIVE=$(apiw_tok inactive)
	TOK_REV=$(apiw_tok rev)
}

apiw_setup() {
	test_setup_db
	apiw_conf
	apiw_fixture >/dev/null || { echo "Bail out! fixture"; exit 1; }
}

# api METHOD PATH[?QUERY] [NAME=VALUE...]: no body.
api() {
	local method=$1 path=$2 query=
	shift 2
	case $path in
	*\?*) query=${path#*\?}; path=${path%%\?*} ;;
	esac
	[ -n "${AUTH:-}" ] && set -- HTTP_AUTHORIZATION="$AUTH" "$@"
	pw_request "$method" "$path" "$query" "$@"
}

# apij METHOD PATH BODY [NAME=VALUE...]: a JSON body.
apij() {
	local method=$1 path=$2 body=$3
	shift 3
	PW_BODY=$body api "$method" "$path" CONTENT_TYPE=application/json "$@"
}

# apif METHOD PATH BODY [NAME=VALUE...]: a urlencoded form.
apif() {
	local method=$1 path=$2 body=$3
	shift 3
	PW_BODY=$body api "$method" "$path" \
		CONTENT_TYPE=application/x-www-form-urlencoded "$@"
}

# json_get PATH: a value from ./body, printed as JSON (strings unquoted).
json_get() {
	python3 -c '
import json, sys
v = json.load(open("body"))
for k in sys.argv[1].split(".") if sys.argv[1] else []:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1"
}

# basic USER PASSWORD: an Authorization value.
basic() {
	printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"
}
