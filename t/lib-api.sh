# t/lib-api.sh: REST API test helpers.  Source after lib.sh and
# lib-http.sh:
#
#	. "$(dirname "$0")"/lib.sh
#	. "$T_DIR"/lib-http.sh
#	. "$T_DIR"/lib-api.sh
#	api_setup
#
# api_setup starts the database and loads the fixture below: three
# projects, users made with `pw admin` (their API tokens in $ALICE,
# $BOB, $CIBOT; carol is inactive, token $CAROL), people with and
# without names and accounts, series, covers, eight patches in every
# shape (pull request without diff, relation, non-ASCII, archived, no
# series, microsecond dates), comments, checks and one event of every
# category.  Ids are fixed, so tests can name them.  The fixture is data
# our ingest would store (spec ingest 2.6 header blocks); t/4008 reads
# data that `pw ingress` itself stored.
#
#	api_get PATH [QUERY [NAME=VALUE...]]   pw_get with PW_DEBUG_QUERIES
#	api_get_as TOKEN PATH [QUERY]          the same with a Token header
#	jp EXPR [FILE]     the Python expression EXPR over d = the JSON in
#	                   FILE (./body), printed as compact JSON (strings
#	                   bare)
#	json_keys [EXPR]   the keys of d (or of EXPR), comma-separated
#	test_body_compact  ./body is exactly what DRF would write for it
#	test_link REL URL  the Link header has <URL>; rel="REL"
#	api_queries        the X-Pw-Queries of the last response

api_setup() {
	test_setup_db
	test_pick_port
	cat >"$TRASH/patchwork.conf" <<-EOF
	http {
		base_url = "https://pw.example.org"
	}
	EOF
	PW_CONFIG=$TRASH/patchwork.conf
	export PW_CONFIG
	BASE=https://pw.example.org
	_api_users && _api_fixture ||
		{ echo "Bail out! the API fixture did not load"; exit 1; }
}

_api_users() {
	pw admin user create -u alice -e alice@example.com --first-name Alice \
		--last-name "Ändersson" --no-password >/dev/null &&
	pw admin user create -u bob -e bob@example.org --no-password \
		>/dev/null &&
	pw admin user create -u ci-bot -e ci@example.org --no-password \
		>/dev/null &&
	pw admin user create -u carol -e carol@example.org --no-password \
		>/dev/null &&
	pw admin user update carol --inactive >/dev/null &&
	ALICE=$(pw admin user token alice) &&
	BOB=$(pw admin user token bob) &&
	CIBOT=$(pw admin user token ci-bot) &&
	CAROL=$(pw admin user token carol) &&
	ALICE_ID=$(sql -c "SELECT id FROM auth_user WHERE username = 'alice'") &&
	BOB_ID=$(sql -c "SELECT id FROM auth_user WHERE username = 'bob'") &&
	CIBOT_ID=$(sql -c "SELECT id FROM auth_user WHERE username = 'ci-bot'") &&
	export ALICE BOB CIBOT CAROL ALICE_ID BOB_ID CIBOT_ID
}

_api_fixture() {
	sql -v alice="$ALICE_ID" -v bob="$BOB_ID" -v cibot="$CIBOT_ID" \
		>/dev/null <<-'EOF'
	INSERT INTO project (id, linkname, name, listid, listemail, web_url,
		scm_url, webscm_url, list_archive_url, list_archive_url_format,
		commit_url_format, subject_match, show_dependencies) VALUES
	(1, 'netdev', 'Netdev', 'netdev.vger.kernel.org',
		'netdev@vger.kernel.org', 'https://netdev.example.org/', '', '',
		'https://lore.kernel.org/netdev/', 'https://lore.kernel.org/r/{}',
		'https://git.kernel.org/c/{}', '', false),
	(2, 'linux-next', 'Linux Next ✓', 'linux-next.vger.kernel.org',
		'linux-next@vger.kernel.org', '', 'git://git.kernel.org/next.git',
		'https://git.kernel.org/next/', '', '', '', '\[next\]', true),
	(3, '7', 'Seven', 'seven.example.org', 'seven@example.org', '', '',
		'', '', '', '', '', false);
	SELECT setval(pg_get_serial_sequence('project', 'id'), 3);
	INSERT INTO project_maintainer VALUES (2, :bob);

	INSERT INTO person (id, name, email, user_id) VALUES
	(1, 'A. Developer', 'a@example.com', :alice),
	(2, 'Jörg Doe', 'joerg@example.de', NULL),
	(3, NULL, 'anon@example.org', NULL),
	(4, 'Bob Builder', 'Bob.Builder@Example.COM', :bob);
	SELECT setval(pg_get_serial_sequence('person', 'id'), 4);

	INSERT INTO cover (id, project_id, msgid, date, name, submitter_id,
		headers, content) VALUES
	(1, 1, '<20240501101110.0-cover@example.com>', '2024-05-01 10:11:10+00',
		'[v2,0/3] net: foo fixes', 1,
		E'From: A. Developer <a@example.com>\nSubject: [PATCH v2 0/3] net: foo fixes\nMessage-Id: <20240501101110.0-cover@example.com>',
		E'This series fixes foo.\n'),
	(2, 2, '<odd/msg id@example.org>', '2024-05-03 12:00:00.5+00',
		'next: bar', 3, E'From: anon@example.org\nSubject: [next] bar',
		NULL);
	SELECT setval(pg_get_serial_sequence('cover', 'id'), 2);

	INSERT INTO series (id, project_id, name, date, submitter_id, version,
		total, cover_letter_id) VALUES
	(1, 1, 'net: foo fixes', '2024-05-01 10:11:10+00', 1, 2, 3, 1),
	(2, 1, NULL, '2024-05-02 09:00:00+00', 2, 1, 2, NULL),
	(3, 2, 'next: bar', '2024-05-03 12:00:00+00', 3, 1, 1, 2),
	(4, 2, 'next: base', '2024-05-02 12:00:00+00', 3, 1, 1, NULL);
	SELECT setval(pg_get_serial_sequence('series', 'id'), 4);
	INSERT INTO series_dependency VALUES (3, 4);
	INSERT INTO series_metadata VALUES (3, 'ci', 'passed'),
		(3, 'base', 'v6.9');

	INSERT INTO patch_relation (id) VALUES (1);
	SELECT setval(pg_get_serial_sequence('patch_relation', 'id'), 1);

	INSERT INTO patch (id, project_id, msgid, date, name, submitter_id,
		state_id, delegate_id, archived, series_id, number, related_id,
		commit_ref, pull_url, hash, headers, content, diff) VALUES
	(1, 1, '<20240501101112.1-1-a@example.com>', '2024-05-01 10:11:12+00',
		'[v2,1/3] net: fix foo', 1, 1, :alice, false, 1, 1, 1, NULL, NULL,
		'0b3a6c3bb0d5d0b3f1f7d0a7c0c8f2a4b5e6d7c8',
		E'Received: from mx1.example.org by lists.example.org; Wed, 1 May 2024 10:11:13 +0000\nReceived: from laptop\n\tby mx1.example.org; Wed, 1 May 2024 10:11:12 +0000\nFrom: A. Developer <a@example.com>\nSubject: [PATCH v2 1/3] net: fix foo\nMessage-Id: <20240501101112.1-1-a@example.com>\nDate: Wed,  1 May 2024 10:11:12 +0000\nX-Mailer: =?utf-8?q?J=C3=B6rg?=',
		E'Fix foo.\n\nSigned-off-by: A. Developer <a@example.com>\n',
		E'diff --git a/net/foo.c b/net/foo.c\n--- a/net/foo.c\n+++ b/net/foo.c\n@@ -1 +1 @@\n-a\n+b\n'),
	(2, 1, '<20240501101112.1-2-a@example.com>', '2024-05-01 10:11:13.402113+00',
		'[v2,2/3] net: fix bär', 1, 2, NULL, false, 1, 2, 1, 'abc123', NULL,
		'1111111111111111111111111111111111111111',
		E'From: A. Developer <a@example.com>\nSubject: [PATCH v2 2/3] net: fix =?utf-8?q?b=C3=A4r?=',
		E'Fix bär.\n', E'diff --git a/b b/b\n'),
	(3, 1, '<20240501101112.1-3-a@example.com>', '2024-05-01 10:11:14+00',
		'[v2,3/3] net: pull baz', 1, 3, NULL, true, 1, 3, NULL, NULL,
		'git://example.org/repo.git main', NULL,
		E'From: A. Developer <a@example.com>\nSubject: [PATCH v2 3/3] net: pull baz',
		E'Please pull.\n', NULL),
	(4, 1, '<p4@example.de>', '2024-05-02 09:00:01+00',
		'[1/2] Ünïcode — names', 2, 1, NULL, false, 2, 1, NULL, NULL, NULL,
		'2222222222222222222222222222222222222222', '', NULL,
		E'diff --git a/u b/u\n'),
	(5, 2, '<p5/slash@example.org>', '2024-05-03 12:00:01+00',
		'[next] bar', 3, 7, NULL, false, 3, 1, NULL, NULL, NULL,
		'3333333333333333333333333333333333333333', E'Subject: [next] bar',
		'bar', E'diff --git a/n b/n\n'),
	(6, 2, '<p6@example.org>', '2024-05-02 12:00:01+00', '[next] base', 3,
		1, :bob, false, 4, 1, NULL, NULL, NULL,
		'4444444444444444444444444444444444444444', '', 'base',
		E'diff --git a/m b/m\n'),
	(7, 1, '<p7@example.com>', '2024-04-30 08:00:00+00',
		'[RFC,net-next] tcp: x', 4, 5, NULL, true, NULL, NULL, NULL, NULL,
		NULL, '5555555555555555555555555555555555555555', '', NULL,
		E'diff --git a/t b/t\n'),
	(8, 3, '<p8@seven>', '2024-06-01 00:00:00+00', 'seven patch', 2, 1,
		NULL, false, NULL, NULL, NULL, NULL, NULL,
		'6666666666666666666666666666666666666666', '', NULL,
		E'diff --git a/s b/s\n');
	SELECT setval(pg_get_serial_sequence('patch', 'id'), 8);

	INSERT INTO patch_comment (id, patch_id, msgid, date, submitter_id,
		addressed, headers, content) VALUES
	(1, 1, '<c1@example.org>', '2024-05-01 11:00:00+00', 4, NULL,
		E'From: Bob Builder <Bob.Builder@Example.COM>\nSubject: Re: [PATCH v2 1/3] net: fix foo\nMessage-Id: <c1@example.org>',
		E'Reviewed-by: Bob Builder <Bob.Builder@Example.COM>\n'),
	(2, 1, '<c2@example.org>', '2024-05-01 12:00:00+00', 2, false,
		E'From: =?utf-8?q?J=C3=B6rg?= Doe <joerg@example.de>\nSubject: Re: [PATCH v2 1/3]\n net: fix foo (folded)\nX-Patchwork-Action-Required: yes',
		E'Needs work.\n'),
	(3, 2, '<c3@example.org>', '2024-05-01 13:00:00+00', 1, true,
		E'Subject: Re: [PATCH v2 2/3] net: fix bar', NULL);
	SELECT setval(pg_get_serial_sequence('patch_comment', 'id'), 3);
	INSERT INTO cover_comment (id, cover_id, msgid, date, submitter_id,
		addressed, headers, content) VALUES
	(1, 1, '<cc1@example.org>', '2024-05-01 11:30:00+00', 2, NULL,
		E'Subject: Re: [PATCH v2 0/3] net: foo fixes', E'Nice.\n');
	SELECT setval(pg_get_serial_sequence('cover_comment', 'id'), 1);

	INSERT INTO ci_check (id, patch_id, user_id, date, state, context,
		target_url, description) VALUES
	(1, 1, :cibot, '2024-05-01 10:20:00+00', 3, 'build',
		'https://ci.example.org/1', 'Build failed'),
	(2, 1, :cibot, '2024-05-01 10:30:00.402113+00', 1, 'build',
		'https://ci.example.org/2', 'Build passed'),
	(3, 1, NULL, '2024-05-01 10:25:00+00', 2, 'lint', '', NULL),
	(4, 2, :cibot, '2024-05-01 10:40:00+00', 0, 'build', NULL, NULL),
	(5, 4, :cibot, '2024-05-02 10:00:00+00', 1, 'build', NULL, 'ok'),
	(6, 5, :alice, '2024-05-03 13:00:00+00', 3, 'test', NULL, 'bad');
	SELECT setval(pg_get_serial_sequence('ci_check', 'id'), 6);

	INSERT INTO event (id, category, project_id, date, actor_id, patch_id,
		series_id, cover_id, previous_state_id, current_state_id,
		previous_delegate_id, current_delegate_id, created_check_id,
		patch_comment_id, cover_comment_id) VALUES
	(1, 'cover-created', 1, '2024-05-01 10:11:10+00', NULL, NULL, NULL, 1,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(2, 'patch-created', 1, '2024-05-01 10:11:12+00', NULL, 1, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(3, 'series-created', 1, '2024-05-01 10:11:13+00', NULL, NULL, 1, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(4, 'patch-completed', 1, '2024-05-01 10:11:15+00', NULL, 3, 1, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(5, 'series-completed', 1, '2024-05-01 10:11:16+00', NULL, NULL, 1,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(6, 'patch-state-changed', 1, '2024-05-01 10:15:00+00', :alice, 2, NULL,
		NULL, 1, 2, NULL, NULL, NULL, NULL, NULL),
	(7, 'patch-delegated', 1, '2024-05-01 10:16:00+00', :alice, 1, NULL,
		NULL, NULL, NULL, NULL, :alice, NULL, NULL, NULL),
	(8, 'patch-relation-changed', 1, '2024-05-01 10:17:00+00', :alice, 1,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(9, 'check-created', 1, '2024-05-01 10:20:00+00', :cibot, 1, NULL,
		NULL, NULL, NULL, NULL, NULL, 1, NULL, NULL),
	(10, 'check-updated', 1, '2024-05-01 10:30:00.402113+00', :cibot, 1,
		NULL, NULL, NULL, NULL, NULL, NULL, 2, NULL, NULL),
	(11, 'patch-comment-created', 1, '2024-05-01 11:00:00+00', NULL, 1,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL),
	(12, 'cover-comment-created', 1, '2024-05-01 11:30:00+00', NULL, NULL,
		NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, 1),
	(13, 'patch-created', 2, '2024-05-03 12:00:01+00', NULL, 5, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	SELECT setval(pg_get_serial_sequence('event', 'id'), 13);
	EOF
	[ $? = 0 ] && pw admin maintainer add netdev alice >/dev/null
}

api_get() {
	local path=$1
	shift
	PW_DEBUG_QUERIES=1 pw_get "$path" "$@"
}

api_get_as() {
	local token=$1 path=$2
	shift 2
	PW_DEBUG_QUERIES=1 pw_get "$path" "${1:-}" \
		HTTP_AUTHORIZATION="Token $token"
}

jp() {
	python3 - "$1" "${2:-body}" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[2], encoding="utf-8"))
	r = eval(sys.argv[1])
	print(r if isinstance(r, str) else
	    json.dumps(r, ensure_ascii=False, separators=(",", ":")))
	EOF
}

json_keys() {
	jp "','.join(${1:-d})"
}

# The body is compact JSON, keys in the order written, non-ASCII raw.
test_body_compact() {
	python3 - <<-'EOF'
	import json, sys
	raw = open("body", encoding="utf-8").read()
	d = json.loads(raw)
	again = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
	again = again.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
	if again != raw:
	    sys.exit("body is not DRF's compact form:\n" + raw[:300])
	EOF
}

test_link() {
	if ! http_header Link | tr ',' '\n' | sed 's/^ //' |
		grep -Fqx "<$2>; rel=\"$1\""; then
		echo "no <$2>; rel=\"$1\" in:" >&2
		http_header Link >&2
		return 1
	fi
}

api_queries() {
	http_header X-Pw-Queries
}

# test_body_is TEXT: the body is exactly TEXT.
test_body_is() {
	printf '%s' "$1" >expect.body &&
	test_cmp expect.body body
}
