#!/bin/sh
# The initial schema (sql/0001-initial.sql): tables, seeds, constraints,
# what deletes do, identities, lz4 for raw mail, the webhook fan-out, and
# that the hot queries are answered from indexes.
. "$(dirname "$0")"/lib.sh

test_setup_db --no-sync

# Apply through `pw db sync` once it exists, otherwise as psql would.
apply_schema() {
	if [ -x "$PW_BIN/pw-db" ] && [ -x "$PW_BIN/pw" ]; then
		pw db sync
	else
		psql -X -q -1 -v ON_ERROR_STOP=1 -f "$SRC_DIR/sql/0001-initial.sql" >/dev/null
	fi
}

# sql_error SQLSTATE: run stdin, which must fail with that SQLSTATE.
sql_error() {
	local want=$1
	if psql -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
		>out 2>err; then
		echo "statement succeeded, expected SQLSTATE $want" >&2
		return 1
	fi
	if ! grep -q "ERROR:  $want:" err; then
		echo "expected SQLSTATE $want, got:" >&2
		cat err >&2
		return 1
	fi
}

test_expect_success 'schema applies' '
	apply_schema
'
sql -c 'SELECT 1 FROM patch LIMIT 0' >/dev/null 2>&1 ||
	{ echo "Bail out! the schema did not apply"; exit 1; }

test_expect_success 'every table of the data model exists' '
	cat >expect <<-\EOF &&
	auth_token
	auth_user
	bundle
	bundle_patch
	ci_check
	cover
	cover_comment
	cover_search
	delegation_rule
	email_confirmation
	email_optout
	event
	mail
	outbox
	patch
	patch_change_notification
	patch_comment
	patch_relation
	patch_search
	patch_tag
	person
	project
	project_maintainer
	search_queue
	search_state
	series
	series_dependency
	series_metadata
	series_reference
	session
	state
	tag
	throttle
	webhook
	webhook_delivery
	EOF
	sql -c "SELECT tablename FROM pg_tables WHERE schemaname = '\''public'\''
		AND tablename <> '\''schema_migrations'\'' ORDER BY 1" >actual &&
	test_cmp expect actual
'

test_expect_success 'states are seeded as Django'\''s default_states' '
	cat >expect <<-\EOF &&
	1|New|new|0|t
	2|Under Review|under-review|1|t
	3|Accepted|accepted|2|f
	4|Rejected|rejected|3|f
	5|RFC|rfc|4|f
	6|Not Applicable|not-applicable|5|f
	7|Changes Requested|changes-requested|6|f
	8|Awaiting Upstream|awaiting-upstream|7|f
	9|Superseded|superseded|8|f
	10|Deferred|deferred|9|f
	EOF
	sql -c "SELECT id, name, slug, ordering, action_required FROM state
		ORDER BY ordering" >actual &&
	test_cmp expect actual
'

test_expect_success 'tags are seeded with their patterns' '
	cat >expect <<-\EOF &&
	1|Acked-by|^Acked-by:|A|t
	2|Reviewed-by|^Reviewed-by:|R|t
	3|Tested-by|^Tested-by:|T|t
	EOF
	sql -c "SELECT id, name, pattern, abbrev, show_column FROM tag
		ORDER BY id" >actual &&
	test_cmp expect actual
'

test_expect_success 'identities continue past the seeds' '
	echo "11|4" >expect &&
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO state (name, slug, ordering) VALUES ('\''X'\'', '\''x'\'', 100);
	INSERT INTO tag (name, pattern, abbrev) VALUES ('\''Y'\'', '\''^Y:'\'', '\''Y'\'');
	SELECT (SELECT max(id) FROM state) || '\''|'\'' ||
		(SELECT max(id) FROM tag);
	ROLLBACK;
	EOF
	test_cmp expect actual
'

# A small world most tests below work on.  Tests that delete run inside
# a transaction they roll back, so they do not depend on each other.
test_expect_success 'fixture' '
	sql <<-\EOF
	INSERT INTO auth_user (id, username, email) VALUES
		(1, '\''alice'\'', '\''alice@example.org'\''),
		(2, '\''bob'\'', '\''Bob@Example.org'\''),
		(3, '\''ci'\'', '\''ci@example.org'\'');
	INSERT INTO auth_token (key, user_id) VALUES
		(repeat('\''ab'\'', 20), 3);
	INSERT INTO session (key, user_id, csrf_token, expires) VALUES
		(repeat('\''0'\'', 64), 1, '\''t'\'', now() + interval '\''1 day'\'');
	INSERT INTO person (id, email, name, user_id) VALUES
		(1, '\''alice@example.org'\'', '\''Alice'\'', 1),
		(2, '\''carol@example.org'\'', NULL, NULL);
	INSERT INTO project (id, linkname, name, listid, listemail) VALUES
		(1, '\''netdev'\'', '\''Netdev'\'', '\''netdev.example.org'\'', '\''netdev@example.org'\''),
		(2, '\''other'\'', '\''Other'\'', '\''other.example.org'\'', '\''other@example.org'\'');
	INSERT INTO project_maintainer VALUES (1, 1), (1, 2);
	INSERT INTO delegation_rule (project_id, user_id, path) VALUES
		(1, 2, '\''drivers/*'\'');
	INSERT INTO cover (id, project_id, msgid, date, name, submitter_id, headers, content)
		VALUES (1, 1, '\''<c1@x>'\'', now(), '\''[PATCH 0/2] x'\'', 2, '\'''\'', '\''cover'\'');
	INSERT INTO cover_comment (id, cover_id, msgid, date, submitter_id, headers, content)
		VALUES (1, 1, '\''<cc1@x>'\'', now(), 1, '\'''\'', '\''nice'\'');
	INSERT INTO series (id, project_id, date, submitter_id, version, total, cover_letter_id)
		VALUES (1, 1, now(), 2, 1, 2, 1);
	INSERT INTO series_reference (project_id, series_id, msgid) VALUES
		(1, 1, '\''<c1@x>'\''), (1, 1, '\''<p1@x>'\'');
	INSERT INTO patch_relation (id) VALUES (1);
	INSERT INTO patch (id, project_id, msgid, date, name, submitter_id, state_id,
			delegate_id, series_id, number, related_id, headers, content, diff, hash)
		VALUES
		(1, 1, '\''<p1@x>'\'', now(), '\''[1/2] a'\'', 2, 1, 2, 1, 1, 1, '\'''\'', '\''a'\'', '\''d'\'', repeat('\''a'\'', 40)),
		(2, 1, '\''<p2@x>'\'', now(), '\''[2/2] b'\'', 2, 2, NULL, 1, 2, 1, '\'''\'', '\''b'\'', '\''d'\'', NULL),
		(3, 2, '\''<p1@x>'\'', now(), '\''c'\'', 1, 3, NULL, NULL, NULL, NULL, '\'''\'', '\''c'\'', NULL, NULL);
	INSERT INTO patch_comment (id, patch_id, msgid, date, submitter_id, headers, content, addressed)
		VALUES (1, 1, '\''<pc1@x>'\'', now(), 1, '\'''\'', '\''Acked-by: A'\'', false);
	INSERT INTO patch_tag VALUES (1, 1, 1);
	INSERT INTO ci_check (id, patch_id, user_id, state, context) VALUES (1, 1, 3, 1, '\''build'\'');
	INSERT INTO bundle (id, owner_id, project_id, name) VALUES (1, 1, 1, '\''mine'\'');
	INSERT INTO bundle_patch VALUES (1, 1, 1), (1, 2, 1);
	INSERT INTO event (category, project_id, patch_id) VALUES
		('\''patch-created'\'', 1, 1);
	INSERT INTO event (category, project_id, patch_id, actor_id, created_check_id) VALUES
		('\''check-created'\'', 1, 1, 3, 1);
	INSERT INTO event (category, project_id, patch_id, actor_id,
			previous_delegate_id, current_delegate_id) VALUES
		('\''patch-delegated'\'', 1, 1, 1, NULL, 2);
	INSERT INTO event (category, project_id, patch_id, actor_id,
			previous_state_id, current_state_id) VALUES
		('\''patch-state-changed'\'', 1, 2, 1, 1, 2);
	INSERT INTO event (category, project_id, cover_id, cover_comment_id) VALUES
		('\''cover-comment-created'\'', 1, 1, 1);
	INSERT INTO patch_change_notification (patch_id, orig_state_id) VALUES (2, 1);
	INSERT INTO mail (sha256, size, raw, project_id, msgid, status, patch_id)
		VALUES (sha256('\''m1'\''), 2, '\''m1'\'', 1, '\''<p1@x>'\'', '\''stored'\'', 1);
	-- What an import does after loading explicit ids.
	DO $$
	DECLARE t text;
	BEGIN
		FOR t IN SELECT table_name FROM information_schema.columns
			WHERE table_schema = '\''public'\'' AND column_name = '\''id'\''
			AND is_identity = '\''YES'\''
		LOOP
			EXECUTE format('\''SELECT setval(pg_get_serial_sequence(%L, %L), coalesce(max(id), 0) + 1, false) FROM %I'\'', t, '\''id'\'', t);
		END LOOP;
	END
	$$;
	EOF
'

# Uniqueness -----------------------------------------------------------

test_expect_success 'username is unique, and case-sensitive' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO auth_user (username) VALUES ('\''alice'\'');
	EOF
	sql <<-\EOF
	BEGIN;
	INSERT INTO auth_user (username) VALUES ('\''Alice'\'');
	ROLLBACK;
	EOF
'

test_expect_success 'user email is not unique and is found case-insensitively' '
	echo 2 >expect &&
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO auth_user (username, email) VALUES ('\''bob2'\'', '\''bob@example.org'\'');
	SELECT count(*) FROM auth_user WHERE lower(email) = '\''bob@example.org'\'';
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'one API token per user, 40 lower-case hex' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO auth_token (key, user_id) VALUES (repeat('\''cd'\'', 20), 3);
	EOF
	sql_error 23514 <<-\EOF
	INSERT INTO auth_token (key, user_id) VALUES (repeat('\''AB'\'', 20), 1);
	EOF
'

test_expect_success 'person email is unique' '
	sql_error 23505 <<-\EOF
	INSERT INTO person (email) VALUES ('\''carol@example.org'\'');
	EOF
'

test_expect_success 'project linkname, name and (listid, subject_match) are unique' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO project (linkname, name, listid, listemail)
		VALUES ('\''netdev'\'', '\''N2'\'', '\''l2'\'', '\''e'\'');
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO project (linkname, name, listid, listemail)
		VALUES ('\''n2'\'', '\''Netdev'\'', '\''l2'\'', '\''e'\'');
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO project (linkname, name, listid, listemail)
		VALUES ('\''n2'\'', '\''N2'\'', '\''netdev.example.org'\'', '\''e'\'');
	EOF
	sql <<-\EOF
	BEGIN;
	INSERT INTO project (linkname, name, listid, listemail, subject_match)
		VALUES ('\''n2'\'', '\''N2'\'', '\''netdev.example.org'\'', '\''e'\'', '\''bpf'\'');
	ROLLBACK;
	EOF
'

test_expect_success 'patch msgid is unique per project, not across projects' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
		VALUES (1, '\''<p1@x>'\'', now(), '\''dup'\'', 1, 1, '\'''\'');
	EOF
	test "$(sql -c "SELECT count(*) FROM patch WHERE msgid = '\''<p1@x>'\''")" = 2
'

test_expect_success 'patch number is unique per series' '
	sql_error 23505 <<-\EOF
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id,
			headers, series_id, number)
		VALUES (1, '\''<p9@x>'\'', now(), '\''dup'\'', 1, 1, '\'''\'', 1, 2);
	EOF
'

test_expect_success 'cover msgid is unique per project' '
	sql_error 23505 <<-\EOF
	INSERT INTO cover (project_id, msgid, date, name, submitter_id, headers)
		VALUES (1, '\''<c1@x>'\'', now(), '\''dup'\'', 1, '\'''\'');
	EOF
'

test_expect_success 'comment msgid is unique per parent' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO patch_comment (patch_id, msgid, date, submitter_id, headers)
		VALUES (1, '\''<pc1@x>'\'', now(), 1, '\'''\'');
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO cover_comment (cover_id, msgid, date, submitter_id, headers)
		VALUES (1, '\''<cc1@x>'\'', now(), 1, '\'''\'');
	EOF
	sql <<-\EOF
	BEGIN;
	INSERT INTO patch_comment (patch_id, msgid, date, submitter_id, headers)
		VALUES (2, '\''<pc1@x>'\'', now(), 1, '\'''\'');
	ROLLBACK;
	EOF
'

test_expect_success 'series reference is unique per project' '
	sql_error 23505 <<-\EOF
	BEGIN;
	INSERT INTO series (id, project_id, date, submitter_id) VALUES (2, 1, now(), 1);
	INSERT INTO series_reference (project_id, series_id, msgid)
		VALUES (1, 2, '\''<p1@x>'\'');
	EOF
'

test_expect_success 'a cover letter belongs to one series at most' '
	sql_error 23505 <<-\EOF
	INSERT INTO series (project_id, date, submitter_id, cover_letter_id)
		VALUES (1, now(), 1, 1);
	EOF
'

test_expect_success 'a series cannot depend on itself' '
	sql_error 23514 <<-\EOF
	INSERT INTO series_dependency VALUES (1, 1);
	EOF
'

test_expect_success 'state name, slug and ordering are unique; tag abbrev too' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO state (name, slug, ordering) VALUES ('\''New'\'', '\''n2'\'', 50);
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO state (name, slug, ordering) VALUES ('\''N2'\'', '\''new'\'', 50);
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO state (name, slug, ordering) VALUES ('\''N2'\'', '\''n2'\'', 0);
	EOF
	sql_error 23505 <<-\EOF
	INSERT INTO tag (name, pattern, abbrev) VALUES ('\''Acks'\'', '\''^A:'\'', '\''A'\'');
	EOF
'

test_expect_success 'bundle names: unique per owner, never empty or with a slash' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO bundle (owner_id, project_id, name) VALUES (1, 2, '\''mine'\'');
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO bundle (owner_id, project_id, name) VALUES (1, 1, '\''a/b'\'');
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO bundle (owner_id, project_id, name) VALUES (1, 1, '\'''\'');
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO bundle_patch VALUES (1, 2, 7);
	EOF
	sql <<-\EOF
	BEGIN;
	INSERT INTO bundle (owner_id, project_id, name) VALUES (2, 1, '\''mine'\'');
	ROLLBACK;
	EOF
'

test_expect_success 'maintainers, tags and delegation rules are unique' '
	sql_error 23505 <<-\EOF &&
	INSERT INTO project_maintainer VALUES (1, 1);
	EOF
	sql_error 23505 <<-\EOF &&
	INSERT INTO patch_tag VALUES (1, 1, 5);
	EOF
	sql_error 23505 <<-\EOF
	INSERT INTO delegation_rule (project_id, user_id, path) VALUES (1, 1, '\''drivers/*'\'');
	EOF
'

test_expect_success 'value checks: hash, check state, categories, keys' '
	sql_error 23514 <<-\EOF &&
	UPDATE patch SET hash = upper(hash) WHERE id = 1;
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO ci_check (patch_id, state) VALUES (1, 4);
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO event (category, project_id) VALUES ('\''patch-eaten'\'', 1);
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO webhook (project_id, url, events)
		VALUES (1, '\''https://ci/'\'', '\''{patch-created,bogus}'\'');
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO webhook (project_id, url) VALUES (1, '\''file:///etc/passwd'\'');
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO email_confirmation (type, email, key)
		VALUES ('\''registration'\'', '\''x@y'\'', '\''short'\'');
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO email_confirmation (type, email, key)
		VALUES ('\''spam'\'', '\''x@y'\'', repeat('\''0'\'', 40));
	EOF
	sql_error 23514 <<-\EOF
	INSERT INTO session (key, csrf_token, expires) VALUES ('\''cookie'\'', '\''t'\'', now());
	EOF
'

test_expect_success 'confirmation keys are unique' '
	sql_error 23505 <<-\EOF
	BEGIN;
	INSERT INTO email_confirmation (type, email, key)
		VALUES ('\''optout'\'', '\''x@y'\'', repeat('\''1'\'', 40));
	INSERT INTO email_confirmation (type, email, key)
		VALUES ('\''optin'\'', '\''x@y'\'', repeat('\''1'\'', 40));
	EOF
'

# Foreign keys ----------------------------------------------------------

test_expect_success 'foreign keys are checked at once' '
	sql_error 23503 <<-\EOF
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
		VALUES (99, '\''<p99@x>'\'', now(), '\''x'\'', 1, 1, '\'''\'');
	EOF
'

test_expect_success 'foreign keys can be deferred (import order)' '
	echo 1 >expect &&
	sql >actual <<-\EOF &&
	BEGIN;
	SET CONSTRAINTS ALL DEFERRED;
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
		VALUES (50, '\''<p50@x>'\'', now(), '\''x'\'', 50, 1, '\'''\'');
	INSERT INTO person (id, email) VALUES (50, '\''p50@x'\'');
	INSERT INTO project (id, linkname, name, listid, listemail)
		VALUES (50, '\''p50'\'', '\''P50'\'', '\''l50'\'', '\''e'\'');
	SET CONSTRAINTS ALL IMMEDIATE;
	SELECT count(*) FROM patch WHERE project_id = 50;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'deleting a project deletes everything in it, nothing else' '
	cat >expect <<-\EOF &&
	0|0|0|0|0|0|0|0|0|0|0|0|0
	1|2|3|1
	|stored
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM project WHERE id = 1;
	SELECT (SELECT count(*) FROM patch WHERE project_id = 1) || '\''|'\'' ||
		(SELECT count(*) FROM cover) || '\''|'\'' ||
		(SELECT count(*) FROM series) || '\''|'\'' ||
		(SELECT count(*) FROM series_reference) || '\''|'\'' ||
		(SELECT count(*) FROM patch_comment) || '\''|'\'' ||
		(SELECT count(*) FROM cover_comment) || '\''|'\'' ||
		(SELECT count(*) FROM ci_check) || '\''|'\'' ||
		(SELECT count(*) FROM patch_tag) || '\''|'\'' ||
		(SELECT count(*) FROM event) || '\''|'\'' ||
		(SELECT count(*) FROM bundle) || '\''|'\'' ||
		(SELECT count(*) FROM project_maintainer) || '\''|'\'' ||
		(SELECT count(*) FROM delegation_rule) || '\''|'\'' ||
		(SELECT count(*) FROM patch_change_notification);
	SELECT (SELECT count(*) FROM patch) || '\''|'\'' ||
		(SELECT count(*) FROM person) || '\''|'\'' ||
		(SELECT count(*) FROM auth_user) || '\''|'\'' ||
		(SELECT count(*) FROM patch_relation);
	SELECT patch_id, status FROM mail;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'deleting a delegate clears delegate_id, keeps the patches' '
	cat >expect <<-\EOF &&
	3|0
	1||1
	1|0|0
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM auth_user WHERE id = 2;
	SELECT count(*) || '\''|'\'' || count(delegate_id) FROM patch;
	SELECT count(*) || '\''|'\'' || coalesce(max(current_delegate_id)::text, '\'''\'') ||
		'\''|'\'' || count(*) FILTER (WHERE category = '\''patch-delegated'\'')
		FROM event WHERE category = '\''patch-delegated'\'';
	SELECT (SELECT count(*) FROM project_maintainer) || '\''|'\'' ||
		(SELECT count(*) FROM delegation_rule) || '\''|'\'' ||
		(SELECT count(*) FROM project_maintainer WHERE user_id = 2);
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'deleting a CI account keeps its checks and events' '
	cat >expect <<-\EOF &&
	1|
	1|
	0
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM auth_user WHERE id = 3;
	SELECT id || '\''|'\'' || coalesce(user_id::text, '\'''\'') FROM ci_check;
	SELECT count(*) || '\''|'\'' || coalesce(max(actor_id)::text, '\'''\'')
		FROM event WHERE category = '\''check-created'\'';
	SELECT count(*) FROM auth_token;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'deleting a user drops sessions, bundles; unlinks people' '
	cat >expect <<-\EOF &&
	0|0|0|2|
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM auth_user WHERE id = 1;
	SELECT (SELECT count(*) FROM session) || '\''|'\'' ||
		(SELECT count(*) FROM bundle) || '\''|'\'' ||
		(SELECT count(*) FROM bundle_patch) || '\''|'\'' ||
		(SELECT count(*) FROM person) || '\''|'\'' ||
		coalesce((SELECT user_id::text FROM person WHERE id = 1), '\'''\'');
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'a state in use cannot be deleted; an unused one can' '
	sql_error 23503 <<-\EOF &&
	DELETE FROM state WHERE id = 3;
	EOF
	sql_error 23503 <<-\EOF &&
	BEGIN;
	DELETE FROM patch_change_notification;
	UPDATE patch SET state_id = 3 WHERE id = 2;
	DELETE FROM state WHERE id = 2;
	EOF
	sql <<-\EOF
	BEGIN;
	DELETE FROM state WHERE id = 10;
	ROLLBACK;
	EOF
'

test_expect_success 'a person with mail cannot be deleted' '
	sql_error 23503 <<-\EOF
	DELETE FROM person WHERE id = 2;
	EOF
'

test_expect_success 'deleting a cover unlinks its series, drops its comments' '
	cat >expect <<-\EOF &&
	1||2
	0|0
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM cover WHERE id = 1;
	SELECT id || '\''|'\'' || coalesce(cover_letter_id::text, '\'''\'') || '\''|'\'' ||
		(SELECT count(*) FROM patch WHERE series_id = 1) FROM series;
	SELECT (SELECT count(*) FROM cover_comment) || '\''|'\'' ||
		(SELECT count(*) FROM event WHERE cover_id IS NOT NULL);
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'deleting a series unlinks its patches' '
	cat >expect <<-\EOF &&
	3|0|0
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM series WHERE id = 1;
	SELECT (SELECT count(*) FROM patch) || '\''|'\'' ||
		(SELECT count(series_id) FROM patch) || '\''|'\'' ||
		(SELECT count(*) FROM series_reference);
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'deleting a patch keeps its journal row, unlinked' '
	cat >expect <<-\EOF &&
	|stored|0|0
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	DELETE FROM patch WHERE id = 1;
	SELECT coalesce(patch_id::text, '\'''\'') || '\''|'\'' || status || '\''|'\'' ||
		(SELECT count(*) FROM bundle_patch WHERE patch_id = 1) || '\''|'\'' ||
		(SELECT count(*) FROM event WHERE patch_id = 1) FROM mail;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'dropping a relation unlinks patches and events' '
	echo "0|2|0" >expect &&
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO event (category, project_id, patch_id, previous_relation_id)
		VALUES ('\''patch-relation-changed'\'', 1, 1, 1);
	DELETE FROM patch_relation WHERE id = 1;
	SELECT (SELECT count(related_id) FROM patch) || '\''|'\'' ||
		(SELECT count(*) FROM patch WHERE project_id = 1) || '\''|'\'' ||
		(SELECT count(previous_relation_id) FROM event);
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'explicit ids are accepted; setval moves the identity on' '
	echo "1000|1001" >expect &&
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO patch (id, project_id, msgid, date, name, submitter_id, state_id, headers)
		VALUES (1000, 2, '\''<p1000@x>'\'', now(), '\''x'\'', 1, 1, '\'''\'');
	SELECT setval(pg_get_serial_sequence('\''patch'\'', '\''id'\''),
		(SELECT max(id) FROM patch)) \g /dev/null
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
		VALUES (2, '\''<p1001@x>'\'', now(), '\''y'\'', 1, 1, '\'''\'');
	SELECT min(id) || '\''|'\'' || max(id) FROM patch WHERE id >= 1000;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'every id is a bigint identity, by default' '
	sql -c "SELECT table_name FROM information_schema.columns
		WHERE table_schema = '\''public'\'' AND column_name = '\''id'\''
		AND (is_identity <> '\''YES'\'' OR identity_generation <> '\''BY DEFAULT'\''
			OR data_type <> '\''bigint'\'')" >actual &&
	test_must_be_empty actual
'

test_expect_success 'every foreign key is deferrable, initially immediate' '
	sql -c "SELECT conrelid::regclass || '\'' '\'' || conname FROM pg_constraint
		WHERE contype = '\''f'\'' AND (NOT condeferrable OR condeferred)" >actual &&
	test_must_be_empty actual
'

test_expect_success 'every timestamp is timestamptz; no varchar anywhere' '
	sql -c "SELECT table_name || '\''.'\'' || column_name FROM information_schema.columns
		WHERE table_schema = '\''public'\'' AND data_type IN
		('\''timestamp without time zone'\'', '\''character varying'\'', '\''character'\'')" >actual &&
	test_must_be_empty actual
'

# Every FK column whose parent can be deleted needs an index led by it, or
# a delete would scan the child table once per deleted parent row.  The
# exceptions are deliberate: see the comments in the schema.
test_expect_success 'foreign keys on big tables are indexed' '
	cat >expect <<-\EOF &&
	cover_comment.submitter_id
	patch.state_id
	patch_change_notification.orig_state_id
	patch_comment.submitter_id
	patch_tag.tag_id
	EOF
	sql >actual <<-\EOF &&
	SELECT c.conrelid::regclass || '\''.'\'' || a.attname
	  FROM pg_constraint c
	  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
	 WHERE c.contype = '\''f'\''
	   AND NOT EXISTS (SELECT 1 FROM pg_index i
		WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
	 ORDER BY 1;
	EOF
	test_cmp expect actual
'

# The raw mail journal ----------------------------------------------------

test_expect_success 'raw mail is stored lz4-compressed' '
	echo lz4 >expect &&
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO mail (sha256, size, raw)
		SELECT sha256(b), length(b), b
		FROM (SELECT convert_to(repeat('\''Subject: [PATCH] lz4 me\n'\'', 2000),
			'\''UTF8'\'') AS b) x;
	SELECT pg_column_compression(raw) FROM mail WHERE size > 10000;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

test_expect_success 'large text columns use lz4' '
	sql -c "SELECT attrelid::regclass || '\''.'\'' || attname || '\'' '\'' || attcompression::text
		FROM pg_attribute WHERE attrelid = '\''patch'\''::regclass
		AND attname IN ('\''headers'\'', '\''content'\'', '\''diff'\'') ORDER BY attname" >actual &&
	cat >expect <<-\EOF &&
	patch.content l
	patch.diff l
	patch.headers l
	EOF
	test_cmp expect actual
'

test_expect_success 'the same bytes delivered twice are one journal row' '
	cat >expect <<-\EOF &&
	stored|2
	1
	2
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO mail (sha256, size, raw) VALUES (sha256('\''m1'\''), 2, '\''m1'\'')
		ON CONFLICT (sha256, forced_list_id)
		DO UPDATE SET attempts = mail.attempts + 1
		RETURNING status || '\''|'\'' || attempts;
	SELECT count(*) FROM mail;
	INSERT INTO mail (sha256, size, raw, forced_list_id)
		VALUES (sha256('\''m1'\''), 2, '\''m1'\'', '\''other.example.org'\'');
	SELECT count(*) FROM mail;
	ROLLBACK;
	EOF
	test_cmp expect actual &&
	sql_error 23505 <<-\EOF
	INSERT INTO mail (sha256, size) VALUES (sha256('\''m1'\''), 2);
	EOF
'

test_expect_success 'journal: statuses are checked, failures need a reason' '
	sql_error 23514 <<-\EOF &&
	INSERT INTO mail (sha256, size, status) VALUES (sha256('\''m2'\''), 2, '\''lost'\'');
	EOF
	sql_error 23514 <<-\EOF &&
	INSERT INTO mail (sha256, size, status) VALUES (sha256('\''m2'\''), 2, '\''failed'\'');
	EOF
	sql_error 23514 <<-\EOF
	INSERT INTO mail (sha256, size) VALUES ('\''\x00'\'', 2);
	EOF
'

# Webhooks ---------------------------------------------------------------

test_expect_success 'events fan out to matching active webhooks' '
	cat >expect <<-\EOF &&
	all|patch-created
	all|series-created
	patches|patch-created
	EOF
	sql >actual <<-\EOF &&
	BEGIN;
	INSERT INTO webhook (project_id, url) VALUES (1, '\''https://all/'\'');
	INSERT INTO webhook (project_id, url, events)
		VALUES (1, '\''https://patches/'\'', '\''{patch-created}'\'');
	INSERT INTO webhook (project_id, url, active)
		VALUES (1, '\''https://off/'\'', false);
	INSERT INTO webhook (project_id, url) VALUES (2, '\''https://other/'\'');
	INSERT INTO event (category, project_id, patch_id) VALUES ('\''patch-created'\'', 1, 2);
	INSERT INTO event (category, project_id, series_id) VALUES ('\''series-created'\'', 1, 1);
	SELECT split_part(w.url, '\''/'\'', 3) || '\''|'\'' || e.category
	  FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
	  JOIN event e ON e.id = d.event_id WHERE d.status = '\''pending'\'' ORDER BY 1;
	ROLLBACK;
	EOF
	test_cmp expect actual
'

# Plans ------------------------------------------------------------------

# Enough rows in a third project for plans to mean something; the other
# projects' rows make the project filter selective.
test_expect_success 'plan fixture' '
	sql <<-\EOF
	INSERT INTO project (id, linkname, name, listid, listemail)
		VALUES (3, '\''big'\'', '\''Big'\'', '\''big.example.org'\'', '\''big@example.org'\'');
	INSERT INTO person (id, email) SELECT 100 + i, '\''p'\'' || i || '\''@x'\''
		FROM generate_series(1, 50) i;
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id,
			archived, headers, content, diff, hash, delegate_id)
	SELECT CASE WHEN i % 10 = 0 THEN 3 ELSE 2 END, '\''<b'\'' || i || '\''@x>'\'',
		timestamptz '\''2020-01-01'\'' + i * interval '\''1 hour'\'',
		'\''net: fix '\'' || md5(i::text), 101 + i % 50, 1 + i % 10,
		i % 3 <> 0, '\'''\'', '\''commit message '\'' || md5(i::text),
		'\''+ line '\'' || i, md5(i::text) || '\''00000000'\'',
		CASE WHEN i % 7 = 0 THEN 2 END
	FROM generate_series(1, 4000) i;
	INSERT INTO event (category, project_id, patch_id, date)
		SELECT (ARRAY['\''patch-created'\'', '\''patch-completed'\'',
			'\''patch-state-changed'\'', '\''check-created'\''])[1 + id % 4],
			project_id, id, date FROM patch;
	INSERT INTO series (project_id, date, submitter_id)
		SELECT 2 + (i % 2), now(), 101 FROM generate_series(1, 400) i;
	INSERT INTO series_reference (project_id, series_id, msgid)
		SELECT project_id, id, '\''<s'\'' || id || '\''@x>'\'' FROM series;
	INSERT INTO ci_check (patch_id, state, context)
		SELECT id, id % 4, '\''ctx'\'' || (id % 5) FROM patch;
	ANALYZE;
	EOF
'

# explain_uses INDEX QUERY: the plan reads INDEX, scans no table
# sequentially and sorts nothing.  Sequential scans and sorts are priced
# out, so that the check is whether an index can answer in order, not
# what is cheapest on a few thousand rows.
explain_uses() {
	local idx=$1 q=$2
	sql >plan <<-EOF &&
	SET enable_seqscan = off;
	SET enable_sort = off;
	EXPLAIN (COSTS OFF) $q;
	EOF
	test_grep -q " $idx" plan &&
	! grep -E "Seq Scan|Sort" plan || { cat plan >&2; return 1; }
}

test_expect_success 'plan: default patch list (state, not archived, by date)' '
	explain_uses patch_list_idx "SELECT id FROM patch WHERE project_id = 3
		AND NOT archived AND state_id = ANY('\''{1,2}'\'')
		ORDER BY date DESC, id DESC LIMIT 30" &&
	test_grep "Index Only Scan" plan
'

test_expect_success 'plan: next page by keyset (date, id)' '
	explain_uses patch_list_idx "SELECT id FROM patch WHERE project_id = 3
		AND NOT archived AND state_id = ANY('\''{1,2}'\'')
		AND (date, id) < ('\''2020-03-01'\'', 1000)
		ORDER BY date DESC, id DESC LIMIT 30" &&
	test_grep "ROW(date, id) <" plan
'

test_expect_success 'plan: one state, any archive' '
	explain_uses patch_project_state_idx "SELECT id FROM patch
		WHERE project_id = 3 AND state_id = 3
		ORDER BY date DESC, id DESC LIMIT 30"
'

test_expect_success 'plan: a delegate'\''s todo list' '
	explain_uses patch_delegate_idx "SELECT id FROM patch
		WHERE delegate_id = 2 AND project_id = 3 AND NOT archived
		AND state_id = ANY('\''{1,2}'\'') ORDER BY date DESC, id DESC LIMIT 30"
'

test_expect_success 'plan: API patch list of a small project, by id' '
	explain_uses patch_project_id_idx "SELECT id FROM patch
		WHERE project_id = 1 AND id > 1 ORDER BY id LIMIT 30"
'

test_expect_success 'plan: message-id lookup in a project' '
	explain_uses patch_msgid_project_id_key "SELECT id FROM patch
		WHERE project_id = 3 AND msgid = '\''<b5@x>'\''"
'

test_expect_success 'plan: message-id lookup in every project' '
	explain_uses patch_msgid_project_id_key "SELECT id FROM patch
		WHERE msgid = '\''<b5@x>'\''"
'

test_expect_success 'plan: series by references' '
	explain_uses series_reference_project_id_msgid_key "SELECT series_id
		FROM series_reference WHERE project_id = 3
		AND msgid = ANY('\''{<s1@x>,<s2@x>,<s3@x>}'\'')"
'

test_expect_success 'plan: events of a project, newest first' '
	explain_uses event_project_date_idx "SELECT id FROM event
		WHERE project_id = 3 ORDER BY date DESC, id DESC LIMIT 30"
'

test_expect_success 'plan: events of a category' '
	explain_uses event_project_category_idx "SELECT id FROM event
		WHERE project_id = 3 AND category = '\''patch-created'\''
		ORDER BY date DESC, id DESC LIMIT 30"
'

test_expect_success 'plan: patch by hash' '
	explain_uses patch_hash_idx "SELECT id FROM patch
		WHERE hash = '\''c4ca4238a0b923820dcc509a6f75849b00000000'\''"
'

test_expect_success 'plan: full-text search (vectors of pw cron)' '
	explain_uses patch_search_vec_idx "SELECT patch_id FROM patch_search
		WHERE vec @@ websearch_to_tsquery('\''english'\'', '\''commit message'\'')"
'

test_expect_success 'plan: substring of the name (q=)' '
	explain_uses patch_name_trgm_idx "SELECT id FROM patch
		WHERE name ILIKE '\''%fix c4ca%'\''"
'

test_expect_success 'plan: newest check per (user, context)' '
	explain_uses ci_check_patch_idx "SELECT DISTINCT ON (patch_id, context, user_id)
		patch_id, context, user_id, state FROM ci_check
		WHERE patch_id = ANY('\''{5,6,7}'\'')
		ORDER BY patch_id, context, user_id, date DESC, id DESC"
'

test_expect_success 'plan: comments of a patch' '
	explain_uses patch_comment_patch_date_idx "SELECT id FROM patch_comment
		WHERE patch_id = 1 ORDER BY date, id"
'

test_expect_success 'plan: failed mails, oldest first' '
	explain_uses mail_status_idx "SELECT id FROM mail
		WHERE status = '\''failed'\'' ORDER BY received_at LIMIT 50"
'

# ingest's lookup of early replies waiting for a new message (common/
# ingest.c, ST_ORPHANS): a month of dropped replies must not be filtered
# one by one, so the plan has to go through the GIN index on refs, also
# when the statistics have not seen the new rows yet (no ANALYZE here).
test_expect_success 'plan: replies waiting for their parent' '
	sql <<-\EOF &&
	INSERT INTO mail (sha256, size, project_id, msgid, status, reason, refs)
	SELECT sha256(('\''orphan'\'' || i)::bytea), 1, 3, '\''<o'\'' || i || '\''@x>'\'',
		'\''dropped'\'', '\''reply to an unknown message'\'',
		ARRAY['\''<parent'\'' || i || '\''@x>'\'']
	FROM generate_series(1, 3000) i;
	EOF
	sql >plan <<-\EOF &&
	SET enable_seqscan = off;
	EXPLAIN (COSTS OFF) WITH c AS MATERIALIZED (SELECT id, msgid,
		project_id, status, received_at FROM mail WHERE refs IS NOT NULL
		AND refs && '\''{<parent7@x>}'\''::text[])
	SELECT id, msgid FROM c WHERE status = '\''dropped'\'' AND project_id = 3
		AND received_at > now() - make_interval(days => 30)
		ORDER BY id LIMIT 1000;
	EOF
	# sorting the few matches is fine; reading other indexes is not
	test_grep -q " mail_refs_idx" plan &&
	! grep -E "Seq Scan|mail_status_idx|mail_project_idx" plan ||
		{ cat plan >&2; false; }
'

test_expect_success 'plan: a cover letter by name (spec 7.3)' '
	explain_uses cover_name_hash_idx "SELECT 1 FROM cover
		WHERE project_id = 3 AND name = '\''[PATCH 0/3] net: fix'\''
		AND msgid <> '\''<c@x>'\'' LIMIT 1"
'

test_expect_success 'full-text search finds the patch' '
	echo "<b42@x>" >expect &&
	sql -c "SELECT msgid FROM patch WHERE patch_fts(name, content, diff)
		@@ websearch_to_tsquery('\''english'\'', '\''$(printf 42 | md5sum | cut -c1-32)'\'')" >actual &&
	test_cmp expect actual
'

# 80,000 distinct words of 4-byte characters: 1.6 MB of lexemes, over
# the 1 MB a tsvector holds, so indexing it whole would fail (pw cron's
# indexer, and with it every later batch).
giant="string_agg(chr(131072 + i / 1000) || chr(131072 + (i / 10) % 100) ||
	chr(131072 + i % 10) || chr(131072 + i % 7), ' ')"
test_expect_success 'full-text search survives a giant diff' '
	sql_error 54000 <<-EOF &&
	SELECT to_tsvector($giant) FROM generate_series(1, 80000) i;
	EOF
	sql <<-EOF
	BEGIN;
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id,
			headers, diff)
	SELECT 2, '\''<giant@x>'\'', now(), '\''giant'\'', 1, 1, '\'''\'', $giant
	FROM generate_series(1, 80000) i;
	INSERT INTO patch_search (patch_id, vec) SELECT id,
		patch_fts(name, content, diff) FROM patch WHERE msgid = '\''<giant@x>'\'';
	ROLLBACK;
	EOF
'

test_done
