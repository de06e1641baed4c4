-- A small Django Patchwork database at migration 0046, written for
-- t/1201-export-own.t from the column list of the migration spec (1.3).
-- Not a dump of Patchwork: hand-written tables and rows.
--
-- It has no foreign keys on purpose, like a database restored with its
-- constraints off, so that it can hold orphans.  Rows are inserted in a
-- session whose TimeZone is Django's TIME_ZONE (Australia/Canberra): a
-- literal without offset is stored the way Django stores a naive
-- datetime.  Mail and event times below are naive UTC, as Patchwork 3.1
-- writes them; date_joined/last_login/created are local, as Django does.
--
-- Expected export (see the test): ghost patch 10 dropped, its reply 21
-- moved to cover 10, event 3 rewritten, events 2 and 4 dropped, patch 12
-- given state 1, series 2 given project 1, check 2's user NULLed, ...

SET TimeZone = 'Australia/Canberra';
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

CREATE TABLE django_migrations (
	id serial PRIMARY KEY, app varchar(255) NOT NULL,
	name varchar(255) NOT NULL, applied timestamptz NOT NULL);
CREATE TABLE django_site (
	id serial PRIMARY KEY, domain varchar(100) NOT NULL UNIQUE,
	name varchar(50) NOT NULL);
CREATE TABLE django_session (
	session_key varchar(40) PRIMARY KEY, session_data text NOT NULL,
	expire_date timestamptz NOT NULL);

CREATE TABLE auth_user (
	id serial PRIMARY KEY, password varchar(128) NOT NULL,
	last_login timestamptz, is_superuser boolean NOT NULL,
	username varchar(150) NOT NULL UNIQUE,
	first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL,
	email varchar(254) NOT NULL, is_staff boolean NOT NULL,
	is_active boolean NOT NULL, date_joined timestamptz NOT NULL,
	-- a local column an exporter must ignore
	local_note text);
CREATE TABLE authtoken_token (
	key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,
	user_id integer NOT NULL UNIQUE);

CREATE TABLE patchwork_project (
	id serial PRIMARY KEY, linkname varchar(255) NOT NULL UNIQUE,
	name varchar(255) NOT NULL UNIQUE, listid varchar(255) NOT NULL,
	listemail varchar(200) NOT NULL, subject_match varchar(64) NOT NULL,
	web_url varchar(2000) NOT NULL, scm_url varchar(2000) NOT NULL,
	webscm_url varchar(2000) NOT NULL,
	list_archive_url varchar(2000) NOT NULL,
	list_archive_url_format varchar(2000) NOT NULL,
	commit_url_format varchar(2000) NOT NULL,
	send_notifications boolean NOT NULL, use_tags boolean NOT NULL,
	UNIQUE (listid, subject_match));
CREATE TABLE patchwork_person (
	id serial PRIMARY KEY, email varchar(255) NOT NULL UNIQUE,
	name varchar(255), user_id integer);
CREATE TABLE patchwork_userprofile (
	id serial PRIMARY KEY, user_id integer NOT NULL UNIQUE,
	send_email boolean NOT NULL, items_per_page integer NOT NULL
	CHECK (items_per_page >= 0), show_ids boolean NOT NULL);
CREATE TABLE patchwork_userprofile_maintainer_projects (
	id serial PRIMARY KEY, userprofile_id integer NOT NULL,
	project_id integer NOT NULL, UNIQUE (userprofile_id, project_id));
CREATE TABLE patchwork_delegationrule (
	id serial PRIMARY KEY, path varchar(255) NOT NULL,
	priority integer NOT NULL, project_id integer NOT NULL,
	user_id integer NOT NULL, UNIQUE (path, project_id));
CREATE TABLE patchwork_state (
	id serial PRIMARY KEY, name varchar(100) NOT NULL UNIQUE,
	slug varchar(100) NOT NULL UNIQUE, ordering integer NOT NULL UNIQUE,
	action_required boolean NOT NULL);
CREATE TABLE patchwork_tag (
	id serial PRIMARY KEY, name varchar(20) NOT NULL,
	pattern varchar(50) NOT NULL, abbrev varchar(2) NOT NULL UNIQUE,
	show_column boolean NOT NULL);
CREATE TABLE patchwork_patchrelation (id serial PRIMARY KEY);
CREATE TABLE patchwork_cover (
	id serial PRIMARY KEY, msgid varchar(255) NOT NULL,
	date timestamptz NOT NULL, headers text NOT NULL, content text,
	name varchar(255) NOT NULL, project_id integer NOT NULL,
	submitter_id integer NOT NULL, UNIQUE (msgid, project_id));
CREATE TABLE patchwork_series (
	id serial PRIMARY KEY, name varchar(255), date timestamptz NOT NULL,
	version integer NOT NULL, total integer NOT NULL, project_id integer,
	submitter_id integer NOT NULL, cover_letter_id integer UNIQUE);
CREATE TABLE patchwork_seriesreference (
	id serial PRIMARY KEY, msgid varchar(255) NOT NULL,
	project_id integer NOT NULL, series_id integer NOT NULL,
	UNIQUE (project_id, msgid));
-- Column order as on the upgraded path: name before date.
CREATE TABLE patchwork_patch (
	id serial PRIMARY KEY, msgid varchar(255) NOT NULL,
	name varchar(255) NOT NULL, date timestamptz NOT NULL,
	headers text NOT NULL, content text, project_id integer NOT NULL,
	submitter_id integer NOT NULL, archived boolean NOT NULL,
	commit_ref varchar(255), delegate_id integer, diff text,
	hash char(40), number smallint CHECK (number >= 0),
	pull_url varchar(255), related_id integer, series_id integer,
	state_id integer, UNIQUE (msgid, project_id), UNIQUE (series_id, number));
CREATE TABLE patchwork_patchcomment (
	id serial PRIMARY KEY, msgid varchar(255) NOT NULL,
	date timestamptz NOT NULL, headers text NOT NULL, content text,
	patch_id integer NOT NULL, submitter_id integer NOT NULL,
	addressed boolean, UNIQUE (msgid, patch_id));
CREATE TABLE patchwork_covercomment (
	id serial PRIMARY KEY, msgid varchar(255) NOT NULL,
	date timestamptz NOT NULL, headers text NOT NULL, content text,
	cover_id integer NOT NULL, submitter_id integer NOT NULL,
	addressed boolean, UNIQUE (msgid, cover_id));
CREATE TABLE patchwork_patchtag (
	id serial PRIMARY KEY, count integer NOT NULL,
	patch_id integer NOT NULL, tag_id integer NOT NULL,
	UNIQUE (patch_id, tag_id));
CREATE TABLE patchwork_check (
	id serial PRIMARY KEY, date timestamptz NOT NULL,
	state smallint NOT NULL, target_url varchar(200), description text,
	context varchar(255) NOT NULL, patch_id integer NOT NULL,
	user_id integer NOT NULL);
CREATE TABLE patchwork_bundle (
	id serial PRIMARY KEY, name varchar(50) NOT NULL,
	public boolean NOT NULL, owner_id integer NOT NULL,
	project_id integer NOT NULL, UNIQUE (owner_id, name));
CREATE TABLE patchwork_bundlepatch (
	id serial PRIMARY KEY, "order" integer NOT NULL,
	bundle_id integer NOT NULL, patch_id integer NOT NULL,
	UNIQUE (bundle_id, patch_id));
CREATE TABLE patchwork_event (
	id serial PRIMARY KEY, category varchar(25) NOT NULL,
	date timestamptz NOT NULL, actor_id integer,
	created_check_id integer, current_delegate_id integer,
	current_relation_id integer, current_state_id integer,
	previous_delegate_id integer, previous_relation_id integer,
	previous_state_id integer, project_id integer NOT NULL,
	series_id integer, cover_id integer, patch_id integer,
	cover_comment_id integer, patch_comment_id integer);
CREATE TABLE patchwork_emailconfirmation (
	id serial PRIMARY KEY, type varchar(20) NOT NULL,
	email varchar(200) NOT NULL, key char(40) NOT NULL,
	date timestamptz NOT NULL, active boolean NOT NULL, user_id integer);
CREATE TABLE patchwork_emailoptout (email varchar(200) PRIMARY KEY);
CREATE TABLE patchwork_patchchangenotification (
	patch_id integer PRIMARY KEY, last_modified timestamptz NOT NULL,
	orig_state_id integer NOT NULL);
-- A table of a local Django app: ignored.
CREATE TABLE local_stats (id serial PRIMARY KEY, hits integer);

INSERT INTO django_migrations (app, name, applied) VALUES
	('patchwork', '0044_add_project_linkname_validation', '2021-01-01'),
	('patchwork', '0045_addressed_fields', '2022-01-01'),
	('patchwork', '0046_patch_comment_events', '2022-01-01');
INSERT INTO django_site (id, domain, name) VALUES
	(1, 'pw.example.net', 'pw.example.net');
INSERT INTO django_session VALUES ('s1', 'x', '2999-01-01');

-- Passwords: admin 'secret' (pbkdf2_sha256, 1000, salt abc), jürgen
-- 'secret' (pbkdf2_sha1), ci unusable, gone 'secret' but inactive.
INSERT INTO auth_user VALUES
	(1, 'pbkdf2_sha256$1000$abc$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=',
	 '2022-05-01 09:00:00', true, 'admin', 'Ada', 'Admin',
	 'admin@example.org', true, true, '2020-01-01 10:00:00', 'x'),
	(2, 'pbkdf2_sha1$1000$abc$l2H2oogsryV2Lw9a7h1z7xkcW8k=', NULL, false,
	 'jürgen', 'Jürgen', 'Groß', 'juergen@example.org', false, true,
	 '2020-02-01 10:00:00', NULL),
	(3, '!UnusablePasswordUnusablePasswordUnusable', NULL, false, 'ci', '',
	 '', '', false, true, '2020-03-01 10:00:00', NULL),
	(4, 'pbkdf2_sha256$1000$abc$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=',
	 NULL, false, 'gone', '', '', 'gone@example.org', false, false,
	 '2020-04-01 10:00:00', NULL);
SELECT setval('auth_user_id_seq', 4);
INSERT INTO authtoken_token VALUES
	('1111111111111111111111111111111111111111', '2020-03-01 10:00:00', 3),
	('4444444444444444444444444444444444444444', '2020-04-01 10:00:00', 4);

INSERT INTO patchwork_project VALUES
	(1, 'alpha', 'Alpha', 'dev.example.org', 'dev@example.org', '',
	 'https://alpha.example.org', '', '', '', '', '', true, true),
	(2, 'alpha-rfc', 'Alpha RFCs', 'dev.example.org', 'dev@example.org',
	 '\[RFC', '', '', '', '', '', '', false, true),
	(3, 'omega', 'Ωmega ✓', '', '', '', '', '', '', '', '', '', false, false);
INSERT INTO patchwork_person VALUES
	(1, 'admin@example.org', 'Ada Admin', 1),
	(2, 'lukasz@example.org', 'Łukasz Żółć', NULL),
	(3, 'taro@example.jp', '山田太郎 😀', NULL),
	(4, 'anon@example.org', NULL, 77);
INSERT INTO patchwork_userprofile VALUES
	(1, 1, true, 250, true), (2, 2, false, 100, false);
INSERT INTO patchwork_userprofile_maintainer_projects VALUES
	(1, 1, 1), (2, 1, 3), (3, 2, 1);
INSERT INTO patchwork_delegationrule VALUES (1, 'drivers/*', 1, 1, 2);
INSERT INTO patchwork_state VALUES
	(1, 'New', 'new', 0, true), (2, 'Accepted', 'accepted', 2, false),
	(42, 'Custom', 'custom', 9, true);
INSERT INTO patchwork_tag VALUES (1, 'Acked-by', '^Acked-by:', 'A', true);
INSERT INTO patchwork_patchrelation VALUES (1);

INSERT INTO patchwork_cover VALUES
	(10, '<cover-old@example.org>', '2020-05-01 08:00:00',
	 E'Date: Fri, 01 May 2020 08:00:00 +0000\nMessage-Id: <cover-old@example.org>',
	 'an old cover', '[PATCH 0/1] old series', 1, 2),
	(2, '<cover-new@example.org>', '2021-06-01 08:00:00',
	 E'Date: Tue, 01 Jun 2021 18:00:00 +1000\nMessage-Id: <cover-new@example.org>',
	 'a new cover', '[PATCH 0/2] new series', 1, 3);
INSERT INTO patchwork_series VALUES
	(1, 'new series', '2021-06-01 08:00:00', 1, 2, 1, 3, 2),
	(2, NULL, '2021-07-01 08:00:00', 1, 1, NULL, 2, NULL);
INSERT INTO patchwork_seriesreference VALUES
	(1, '<cover-new@example.org>', 1, 1);

-- 10 is the ghost of cover 10; 12 has lost its state; 13 has an
-- upper-case hash and a custom state; 14 is a pull request.
INSERT INTO patchwork_patch VALUES
	(10, '<cover-old@example.org>', '[PATCH 0/1] old series',
	 '2020-05-01 08:00:00',
	 E'Date: Fri, 01 May 2020 08:00:00 +0000\nMessage-Id: <cover-old@example.org>',
	 'an old cover', 1, 2, false, NULL, NULL, NULL, NULL, NULL, NULL,
	 NULL, NULL, NULL),
	(11, '<p1@example.org>', '[PATCH 1/2] ünïcode: add 𝄞',
	 '2021-06-01 08:01:00',
	 E'Date: Tue, 01 Jun 2021 08:01:00 +0000\nMessage-Id: <p1@example.org>',
	 E'tab\there, backslash \\ and \\N\r\n\\.\nlast line  ', 1, 3, false,
	 NULL, NULL, E'--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n',
	 '0123456789abcdef0123456789abcdef01234567', 1, NULL, NULL, 1, 1),
	(12, '<p2@example.org>', '[PATCH 2/2] lost state',
	 '2021-06-01 08:02:00',
	 E'Date: Tue, 01 Jun 2021 08:02:00 +0000\nMessage-Id: <p2@example.org>',
	 NULL, 1, 3, false, NULL, NULL, E'+x\n', NULL, 2, NULL, NULL, 1, NULL),
	(13, '<p3@example.org>', '[RFC PATCH] shouting hash',
	 '2021-07-01 08:00:00',
	 E'Date: Thu, 01 Jul 2021 08:00:00 +0000\nMessage-Id: <p3@example.org>',
	 'rfc', 2, 2, true, 'abc123', 1, E'+y\n',
	 'ABCDEF0123456789ABCDEF0123456789ABCDEF01', 1, NULL, 1, 2, 42),
	(14, '<pull@example.org>', '[GIT PULL] omega', '2021-08-01 08:00:00',
	 E'Date: Sun, 01 Aug 2021 08:00:00 +0000\nMessage-Id: <pull@example.org>',
	 'please pull', 3, 4, false, NULL, NULL, NULL, NULL, NULL,
	 'git://example.org/omega.git main', NULL, NULL, 1);
SELECT setval('patchwork_patch_id_seq', 14);
INSERT INTO patchwork_patchcomment VALUES
	(20, '<r1@example.org>', '2021-06-02 08:00:00',
	 E'Date: Wed, 02 Jun 2021 08:00:00 +0000', 'Acked-by: Ada', 11, 1, true),
	(21, '<late@example.org>', '2021-09-01 08:00:00',
	 E'Date: Wed, 01 Sep 2021 08:00:00 +0000', 'late reply to the cover',
	 10, 2, NULL),
	(22, '<lost@example.org>', '2021-09-02 08:00:00',
	 E'Date: Thu, 02 Sep 2021 08:00:00 +0000', 'reply to a deleted patch',
	 99, 2, false);
INSERT INTO patchwork_covercomment VALUES
	(5, '<cr@example.org>', '2021-06-01 09:00:00',
	 E'Date: Tue, 01 Jun 2021 09:00:00 +0000', 'on the cover', 2, 1, NULL);
INSERT INTO patchwork_patchtag VALUES (1, 1, 11, 1), (2, 1, 11, 9),
	(3, 2, 10, 1);
INSERT INTO patchwork_check VALUES
	(1, '2021-06-01 09:00:00', 0, NULL, NULL, 'build', 11, 3),
	(2, '2021-06-01 09:05:00', 1, '', '', 'build', 11, 99),
	(3, '2021-06-01 09:05:00', 3, 'https://ci.example.org/3', 'failed',
	 'build', 11, 3);
INSERT INTO patchwork_bundle VALUES (1, 'my/bundle', true, 1, 1);
INSERT INTO patchwork_bundlepatch VALUES (1, 2, 1, 11), (2, 2, 1, 13),
	(3, 1, 1, 77);
INSERT INTO patchwork_event (id, category, date, project_id, patch_id,
	series_id, cover_id, created_check_id, patch_comment_id,
	cover_comment_id, actor_id, previous_state_id, current_state_id)
VALUES
	(1, 'patch-created', '2021-06-01 08:01:30', 1, 11, 1, NULL, NULL,
	 NULL, NULL, NULL, NULL, NULL),
	(2, 'check-created', '2021-06-01 09:10:00', 1, 11, NULL, NULL, 7,
	 NULL, NULL, 3, NULL, NULL),
	(3, 'patch-comment-created', '2021-09-01 08:00:30', 1, 10, NULL,
	 NULL, NULL, 21, NULL, NULL, NULL, NULL),
	(4, 'patch-state-changed', '2021-09-02 08:00:00', 1, 10, NULL, NULL,
	 NULL, NULL, NULL, 1, 1, 2),
	(5, 'cover-created', '2021-06-01 08:00:30', 1, NULL, NULL, 2, NULL,
	 NULL, NULL, NULL, NULL, NULL),
	(6, 'check-created', '2021-06-01 09:00:10', 1, 11, NULL, NULL, 1,
	 NULL, NULL, 3, NULL, NULL);
INSERT INTO patchwork_emailconfirmation VALUES
	(1, 'registration', 'gone@example.org',
	 'abcdefabcdefabcdefabcdefabcdefabcdefabcd', '2020-04-01 00:00:00',
	 true, 4);
INSERT INTO patchwork_emailoptout VALUES (' Dev@Example.COM');
INSERT INTO patchwork_patchchangenotification VALUES
	(11, '2021-06-03 08:00:00', 1);
