/*
 * pw db export: Django Patchwork 3.x to our schema.
 *
 * Why it looks like this.  A Django site may hold millions of patches
 * with multi-megabyte diffs, so every table is streamed through the
 * server's COPY (SELECT ...) TO STDOUT and written out row by row; the
 * server does the escaping.  COPY takes no parameters, so the few values
 * the SELECTs need (Django's time zone, the 3.2 local-time threshold) sit
 * in custom settings (pw.tz, pw.local_since) set with set_config($1),
 * and the id sets computed here (ghost rows, orphans) are array literals
 * printed from integers this program parsed itself.  No text from the
 * database or the command line is ever spliced into SQL.
 *
 * The source schema is recognised by which tables and columns exist,
 * never by constraint or sequence names or column order (they differ
 * between fresh and upgraded installs): see the spec, section 1.2.
 *
 * Order of work, all inside one read-only REPEATABLE READ transaction:
 *  1. detect the schema; refuse before 0042, a half-applied 0043, or
 *     something that is not Patchwork;
 *  2. check the time zone against the mails' Date: headers, find DST-gap
 *     rows, and when Patchwork 3.2 started writing local times;
 *  3. ghost cover rows (spec 1.6): drop them, move their replies to the
 *     cover, rewrite or drop what hung off them;
 *  4. orphans: for every foreign key, drop the child or NULL the column,
 *     repeated until nothing changes (a dropped parent orphans children);
 *  5. count, write the header, stream the tables, write the postamble;
 *  6. print the report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "export.h"
#include "log.h"
#include "xalloc.h"

/* Target tables ------------------------------------------------------- */

enum xconv {
	XC_PLAIN,
	XC_MAIL,	/* mail-derived date: naive UTC in Django's zone */
	XC_ACT,		/* activity date: naive UTC, or local from 3.2 on */
};

struct xcol {
	const char	*name;
	enum xconv	 conv;
};

struct xtable {
	const char		*name;
	const char		*src;	/* Django table, for the report */
	const char		*key;	/* unique int column naming a row */
	unsigned		 flags;
	const struct xcol	*cols;	/* ends with { NULL } */
};

#define C(n)	{ n, XC_PLAIN }
#define CM(n)	{ n, XC_MAIL }
#define CA(n)	{ n, XC_ACT }

static const struct xcol cols_state[] = {
	C("id"), C("name"), C("slug"), C("ordering"), C("action_required"),
	{ NULL, 0 } };
static const struct xcol cols_tag[] = {
	C("id"), C("name"), C("pattern"), C("abbrev"), C("show_column"),
	{ NULL, 0 } };
static const struct xcol cols_auth_user[] = {
	C("id"), C("username"), C("password"), C("email"), C("first_name"),
	C("last_name"), C("is_active"), C("is_admin"), C("is_staff"),
	C("date_joined"),
	C("last_login"), C("send_email"), C("items_per_page"), C("show_ids"),
	{ NULL, 0 } };
static const struct xcol cols_auth_token[] = {
	C("key"), C("user_id"), C("created"), { NULL, 0 } };
static const struct xcol cols_project[] = {
	C("id"), C("linkname"), C("name"), C("listid"), C("listemail"),
	C("subject_match"), C("web_url"), C("scm_url"), C("webscm_url"),
	C("list_archive_url"), C("list_archive_url_format"),
	C("commit_url_format"), C("send_notifications"), C("use_tags"),
	C("show_dependencies"), { NULL, 0 } };
static const struct xcol cols_project_maintainer[] = {
	C("project_id"), C("user_id"), { NULL, 0 } };
static const struct xcol cols_person[] = {
	C("id"), C("email"), C("name"), C("user_id"), { NULL, 0 } };
static const struct xcol cols_delegation_rule[] = {
	C("id"), C("path"), C("priority"), C("project_id"), C("user_id"),
	{ NULL, 0 } };
static const struct xcol cols_patch_relation[] = {
	C("id"), { NULL, 0 } };
static const struct xcol cols_cover[] = {
	C("id"), C("msgid"), CM("date"), C("headers"), C("content"),
	C("name"), C("project_id"), C("submitter_id"), { NULL, 0 } };
static const struct xcol cols_series[] = {
	C("id"), C("name"), CM("date"), C("version"), C("total"),
	C("project_id"), C("submitter_id"), C("cover_letter_id"),
	{ NULL, 0 } };
static const struct xcol cols_series_reference[] = {
	C("id"), C("msgid"), C("project_id"), C("series_id"), { NULL, 0 } };
static const struct xcol cols_series_dependency[] = {
	C("from_series_id"), C("to_series_id"), { NULL, 0 } };
static const struct xcol cols_patch[] = {
	C("id"), C("msgid"), CM("date"), C("headers"), C("content"),
	C("name"), C("project_id"), C("submitter_id"), C("archived"),
	C("commit_ref"), C("delegate_id"), C("diff"), C("hash"),
	C("number"), C("pull_url"), C("related_id"), C("series_id"),
	C("state_id"), { NULL, 0 } };
static const struct xcol cols_patch_comment[] = {
	C("id"), C("msgid"), CM("date"), C("headers"), C("content"),
	C("patch_id"), C("submitter_id"), C("addressed"), { NULL, 0 } };
static const struct xcol cols_cover_comment[] = {
	C("id"), C("msgid"), CM("date"), C("headers"), C("content"),
	C("cover_id"), C("submitter_id"), C("addressed"), { NULL, 0 } };
static const struct xcol cols_patch_tag[] = {
	C("patch_id"), C("tag_id"), C("count"), { NULL, 0 } };
static const struct xcol cols_ci_check[] = {
	C("id"), C("patch_id"), C("user_id"), CA("date"), C("state"),
	C("target_url"), C("description"), C("context"), { NULL, 0 } };
static const struct xcol cols_bundle[] = {
	C("id"), C("name"), C("public"), C("owner_id"), C("project_id"),
	{ NULL, 0 } };
static const struct xcol cols_bundle_patch[] = {
	C("bundle_id"), C("patch_id"), C("position"), { NULL, 0 } };
static const struct xcol cols_event[] = {
	C("id"), C("category"), CA("date"), C("project_id"), C("actor_id"),
	C("patch_id"), C("series_id"), C("cover_id"),
	C("previous_state_id"), C("current_state_id"),
	C("previous_delegate_id"), C("current_delegate_id"),
	C("previous_relation_id"), C("current_relation_id"),
	C("created_check_id"), C("patch_comment_id"), C("cover_comment_id"),
	{ NULL, 0 } };
static const struct xcol cols_email_confirmation[] = {
	C("id"), C("type"), C("email"), C("key"), CA("date"), C("active"),
	C("user_id"), { NULL, 0 } };
static const struct xcol cols_email_optout[] = {
	C("email"), { NULL, 0 } };
static const struct xcol cols_patch_change_notification[] = {
	C("patch_id"), CA("last_modified"), C("orig_state_id"), { NULL, 0 } };

#undef C
#undef CM
#undef CA

static const struct xtable xtables[XT__MAX] = {
	[XT_STATE] = { "state", "patchwork_state", "id",
	    XTF_IDENTITY | XTF_SEED, cols_state },
	[XT_TAG] = { "tag", "patchwork_tag", "id",
	    XTF_IDENTITY | XTF_SEED, cols_tag },
	[XT_AUTH_USER] = { "auth_user", "auth_user", "id",
	    XTF_IDENTITY, cols_auth_user },
	[XT_AUTH_TOKEN] = { "auth_token", "authtoken_token", "user_id",
	    0, cols_auth_token },
	[XT_PROJECT] = { "project", "patchwork_project", "id",
	    XTF_IDENTITY, cols_project },
	[XT_PROJECT_MAINTAINER] = { "project_maintainer",
	    "patchwork_userprofile_maintainer_projects", "id",
	    0, cols_project_maintainer },
	[XT_PERSON] = { "person", "patchwork_person", "id",
	    XTF_IDENTITY, cols_person },
	[XT_DELEGATION_RULE] = { "delegation_rule", "patchwork_delegationrule",
	    "id", XTF_IDENTITY, cols_delegation_rule },
	[XT_PATCH_RELATION] = { "patch_relation", "patchwork_patchrelation",
	    "id", XTF_IDENTITY, cols_patch_relation },
	[XT_COVER] = { "cover", "patchwork_cover", "id",
	    XTF_IDENTITY, cols_cover },
	[XT_SERIES] = { "series", "patchwork_series", "id",
	    XTF_IDENTITY, cols_series },
	[XT_SERIES_REFERENCE] = { "series_reference",
	    "patchwork_seriesreference", "id",
	    XTF_IDENTITY, cols_series_reference },
	[XT_SERIES_DEPENDENCY] = { "series_dependency",
	    "patchwork_series_dependencies", "id",
	    0, cols_series_dependency },
	[XT_PATCH] = { "patch", "patchwork_patch", "id",
	    XTF_IDENTITY, cols_patch },
	[XT_PATCH_COMMENT] = { "patch_comment", "patchwork_patchcomment", "id",
	    XTF_IDENTITY, cols_patch_comment },
	[XT_COVER_COMMENT] = { "cover_comment", "patchwork_covercomment", "id",
	    XTF_IDENTITY, cols_cover_comment },
	[XT_PATCH_TAG] = { "patch_tag", "patchwork_patchtag", "id",
	    0, cols_patch_tag },
	[XT_CI_CHECK] = { "ci_check", "patchwork_check", "id",
	    XTF_IDENTITY, cols_ci_check },
	[XT_BUNDLE] = { "bundle", "patchwork_bundle", "id",
	    XTF_IDENTITY, cols_bundle },
	[XT_BUNDLE_PATCH] = { "bundle_patch", "patchwork_bundlepatch", "id",
	    0, cols_bundle_patch },
	[XT_EVENT] = { "event", "patchwork_event", "id",
	    XTF_IDENTITY, cols_event },
	[XT_EMAIL_CONFIRMATION] = { "email_confirmation",
	    "patchwork_emailconfirmation", "id",
	    XTF_IDENTITY, cols_email_confirmation },
	[XT_EMAIL_OPTOUT] = { "email_optout", "patchwork_emailoptout", NULL,
	    0, cols_email_optout },
	[XT_PATCH_CHANGE_NOTIFICATION] = { "patch_change_notification",
	    "patchwork_patchchangenotification", "patch_id",
	    0, cols_patch_change_notification },
};

const char *
xtable_name(enum xt t)
{
	return xtables[t].name;
}

unsigned
xtable_flags(enum xt t)
{
	return xtables[t].flags;
}

int
xtable_lookup(const char *name)
{
	int t;

	for (t = 0; t < XT__MAX; t++)
		if (strcmp(xtables[t].name, name) == 0)
			return t;
	return -1;
}

static void
add_col_list(struct buf *b, enum xt t)
{
	const struct xcol *c;

	for (c = xtables[t].cols; c->name; c++) {
		if (c != xtables[t].cols)
			buf_adds(b, ", ");
		buf_adds(b, c->name);
	}
}

void
export_copy_line(struct buf *b, enum xt t)
{
	buf_addf(b, "COPY %s (", xtables[t].name);
	add_col_list(b, t);
	buf_adds(b, ") FROM stdin;");
}

/*
 * The fixed statements.  They are the same for every export of a schema
 * version, so `pw db import` can recognise them exactly and run nothing
 * else from the file.
 */
const char *
export_statement(struct buf *b, enum export_part part, int version, int n)
{
	int t, first;

	buf_reset(b);
	if (part == EXPORT_PREAMBLE) {
		switch (n) {
		case 0:
			return "SET client_encoding = 'UTF8';";
		case 1:
			return "SET standard_conforming_strings = on;";
		case 2:
			return "SET TimeZone = 'UTC';";
		case 3:
			return "SET CONSTRAINTS ALL DEFERRED;";
		case 4:
			buf_adds(b, "DO $pw$ BEGIN "
			    "IF transaction_timestamp() = statement_timestamp() "
			    "THEN RAISE EXCEPTION 'load this file in one "
			    "transaction: pw db import FILE, or psql -1 -v "
			    "ON_ERROR_STOP=1 -f FILE'; END IF; ");
			buf_addf(b, "IF (SELECT max(version) FROM "
			    "schema_migrations) IS DISTINCT FROM %d THEN "
			    "RAISE EXCEPTION 'this file is for schema version "
			    "%d: run pw db sync with the pw that wrote it'; "
			    "END IF; IF ", version, version);
			first = 1;
			for (t = 0; t < XT__MAX; t++) {
				if (xtables[t].flags & XTF_SEED)
					continue;
				buf_addf(b, "%sEXISTS (SELECT 1 FROM %s)",
				    first ? "" : " OR ", xtables[t].name);
				first = 0;
			}
			buf_adds(b, " THEN RAISE EXCEPTION 'the database "
			    "already holds data: pw db import --replace "
			    "empties it first'; END IF; END $pw$;");
			return b->s;
		default:
			/* Seeded rows go: the export carries the real ones. */
			for (t = 0; t < XT__MAX; t++) {
				if (!(xtables[t].flags & XTF_SEED))
					continue;
				if (n-- == 5) {
					buf_addf(b, "DELETE FROM %s;",
					    xtables[t].name);
					return b->s;
				}
			}
			return NULL;
		}
	}
	switch (n) {
	case 0:
		buf_adds(b, "DO $pw$ DECLARE t text; s text; BEGIN "
		    "FOREACH t IN ARRAY ARRAY[");
		first = 1;
		for (t = 0; t < XT__MAX; t++) {
			if (!(xtables[t].flags & XTF_IDENTITY))
				continue;
			buf_addf(b, "%s'%s'", first ? "" : ", ",
			    xtables[t].name);
			first = 0;
		}
		buf_adds(b, "] LOOP s := pg_get_serial_sequence(t, 'id'); "
		    "IF s IS NOT NULL THEN EXECUTE format('SELECT setval(%L, "
		    "coalesce(max(id), 0) + 1, false) FROM %I', s, t); "
		    "END IF; END LOOP; END $pw$;");
		return b->s;
	case 1:
		return "ANALYZE;";
	default:
		return NULL;
	}
}

/* Sets of ids ---------------------------------------------------------- */

struct idset {
	int64_t	*v;
	size_t	 n, cap;
	int	 sorted;
};

static void
idset_add(struct idset *s, int64_t id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = id;
	s->sorted = 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
idset_sort(struct idset *s)
{
	size_t i, j;

	if (s->sorted || s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
	for (i = j = 0; i < s->n; i++)
		if (j == 0 || s->v[j - 1] != s->v[i])
			s->v[j++] = s->v[i];
	s->n = j;
	s->sorted = 1;
}

static int
idset_has(struct idset *s, int64_t id)
{
	if (s->n == 0)
		return 0;
	idset_sort(s);
	return bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_i64) != NULL;
}

static void
idset_release(struct idset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Append '{1,2,3}' (with the quotes). */
static void
add_array(struct buf *b, struct idset *s)
{
	size_t i;

	idset_sort(s);
	buf_addc(b, '\'');
	buf_addc(b, '{');
	for (i = 0; i < s->n; i++)
		buf_addf(b, "%s%" PRId64, i ? "," : "", s->v[i]);
	buf_adds(b, "}'");
}

enum feat {
	F_SPLIT		= 1 << 0,	/* 0042: submission + patch */
	F_ADDRESSED_P	= 1 << 1,	/* 0045 */
	F_ADDRESSED_C	= 1 << 2,
	F_COMMENT_EVENTS = 1 << 3,	/* 0046 */
	F_SHOW_DEPS	= 1 << 4,	/* 0048 */
	F_SERIES_DEPS	= 1 << 5,	/* 0048 */
	F_TOKENS	= 1 << 6,	/* DRF authtoken installed */
	F_MIGRATIONS	= 1 << 7,	/* django_migrations present */
};

/* Foreign keys and orphans ------------------------------------------------ */

enum fk_rule {
	FK_REQUIRED,	/* NULL or dangling: drop the row */
	FK_CASCADE,	/* dangling: drop the row; NULL is fine */
	FK_SETNULL,	/* dangling: set the column NULL */
	FK_STATE,	/* NULL or dangling: the first state (ours is NOT NULL) */
};

struct xfk {
	enum xt		 child;
	const char	*col;
	enum xt		 parent;
	enum fk_rule	 rule;
	unsigned	 need;	/* features the column needs */
};

static const struct xfk fks[] = {
	{ XT_AUTH_TOKEN, "user_id", XT_AUTH_USER, FK_REQUIRED, 0 },
	{ XT_PROJECT_MAINTAINER, "user_id", XT_AUTH_USER, FK_REQUIRED, 0 },
	{ XT_PROJECT_MAINTAINER, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_PERSON, "user_id", XT_AUTH_USER, FK_SETNULL, 0 },
	{ XT_DELEGATION_RULE, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_DELEGATION_RULE, "user_id", XT_AUTH_USER, FK_REQUIRED, 0 },
	{ XT_COVER, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_COVER, "submitter_id", XT_PERSON, FK_REQUIRED, 0 },
	{ XT_SERIES, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_SERIES, "submitter_id", XT_PERSON, FK_REQUIRED, 0 },
	{ XT_SERIES, "cover_letter_id", XT_COVER, FK_SETNULL, 0 },
	{ XT_SERIES_REFERENCE, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_SERIES_REFERENCE, "series_id", XT_SERIES, FK_REQUIRED, 0 },
	{ XT_SERIES_DEPENDENCY, "from_series_id", XT_SERIES, FK_REQUIRED,
	    F_SERIES_DEPS },
	{ XT_SERIES_DEPENDENCY, "to_series_id", XT_SERIES, FK_REQUIRED,
	    F_SERIES_DEPS },
	{ XT_PATCH, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_PATCH, "submitter_id", XT_PERSON, FK_REQUIRED, 0 },
	{ XT_PATCH, "delegate_id", XT_AUTH_USER, FK_SETNULL, 0 },
	{ XT_PATCH, "related_id", XT_PATCH_RELATION, FK_SETNULL, 0 },
	{ XT_PATCH, "series_id", XT_SERIES, FK_SETNULL, 0 },
	{ XT_PATCH, "state_id", XT_STATE, FK_STATE, 0 },
	{ XT_PATCH_COMMENT, "patch_id", XT_PATCH, FK_REQUIRED, 0 },
	{ XT_PATCH_COMMENT, "submitter_id", XT_PERSON, FK_REQUIRED, 0 },
	{ XT_COVER_COMMENT, "cover_id", XT_COVER, FK_REQUIRED, 0 },
	{ XT_COVER_COMMENT, "submitter_id", XT_PERSON, FK_REQUIRED, 0 },
	{ XT_PATCH_TAG, "patch_id", XT_PATCH, FK_REQUIRED, 0 },
	{ XT_PATCH_TAG, "tag_id", XT_TAG, FK_REQUIRED, 0 },
	{ XT_CI_CHECK, "patch_id", XT_PATCH, FK_REQUIRED, 0 },
	{ XT_CI_CHECK, "user_id", XT_AUTH_USER, FK_SETNULL, 0 },
	{ XT_BUNDLE, "owner_id", XT_AUTH_USER, FK_REQUIRED, 0 },
	{ XT_BUNDLE, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_BUNDLE_PATCH, "bundle_id", XT_BUNDLE, FK_REQUIRED, 0 },
	{ XT_BUNDLE_PATCH, "patch_id", XT_PATCH, FK_REQUIRED, 0 },
	{ XT_EVENT, "project_id", XT_PROJECT, FK_REQUIRED, 0 },
	{ XT_EVENT, "actor_id", XT_AUTH_USER, FK_SETNULL, 0 },
	{ XT_EVENT, "patch_id", XT_PATCH, FK_CASCADE, 0 },
	{ XT_EVENT, "series_id", XT_SERIES, FK_CASCADE, 0 },
	{ XT_EVENT, "cover_id", XT_COVER, FK_CASCADE, 0 },
	{ XT_EVENT, "previous_state_id", XT_STATE, FK_SETNULL, 0 },
	{ XT_EVENT, "current_state_id", XT_STATE, FK_SETNULL, 0 },
	{ XT_EVENT, "previous_delegate_id", XT_AUTH_USER, FK_SETNULL, 0 },
	{ XT_EVENT, "current_delegate_id", XT_AUTH_USER, FK_SETNULL, 0 },
	{ XT_EVENT, "previous_relation_id", XT_PATCH_RELATION, FK_SETNULL, 0 },
	{ XT_EVENT, "current_relation_id", XT_PATCH_RELATION, FK_SETNULL, 0 },
	{ XT_EVENT, "created_check_id", XT_CI_CHECK, FK_CASCADE, 0 },
	{ XT_EVENT, "patch_comment_id", XT_PATCH_COMMENT, FK_CASCADE,
	    F_COMMENT_EVENTS },
	{ XT_EVENT, "cover_comment_id", XT_COVER_COMMENT, FK_CASCADE,
	    F_COMMENT_EVENTS },
	{ XT_EMAIL_CONFIRMATION, "user_id", XT_AUTH_USER, FK_CASCADE, 0 },
	{ XT_PATCH_CHANGE_NOTIFICATION, "patch_id", XT_PATCH, FK_REQUIRED, 0 },
	{ XT_PATCH_CHANGE_NOTIFICATION, "orig_state_id", XT_STATE,
	    FK_REQUIRED, 0 },
};
#define NFKS	(sizeof(fks) / sizeof(fks[0]))

/* State ------------------------------------------------------------------ */


/* A comment misfiled on a ghost, moving to the cover. */
struct moved {
	int64_t	 old_id;	/* patch comment */
	int64_t	 new_id;	/* cover comment */
	int64_t	 cover_id;
	int	 dup;		/* the cover already has this reply */
};

/* Dates corrected from a mail's Date: header (DST gap). */
struct fix {
	int64_t	 id;
	char	 stamp[40];
};

struct exp {
	PGconn			*c;
	FILE			*out;
	const struct export_opts *o;
	const char		*tz;
	unsigned		 feat;
	int			 sql_ascii;
	char			 migration[128];	/* django_migrations hint */
	char			 level[8];		/* from columns */
	char			 local_since[64];	/* "infinity" if none */
	int			 unavailable;

	struct idset		 ghosts;
	struct moved		*mv;
	size_t			 nmv;
	struct idset		 moved_old;	/* every moved patch comment */
	struct idset		 rewritten;	/* events moved to the cover */
	struct idset		 drop[XT__MAX];
	struct fix		*fix[XT__MAX];
	size_t			 nfix[XT__MAX];
	int64_t			 nread[XT__MAX];
	int64_t			 nwrite[XT__MAX];
	int64_t			 nrepaired[XT__MAX];
	int64_t			 ndefaults;	/* users without a profile */
	struct idset		 setnull[NFKS];	/* dangling values to NULL */
	int64_t			 default_state;	/* for FK_STATE; 0 none */

	struct buf		 notes;		/* report: skipped/changed */
	int64_t			 nnotes;
};

static void
note(struct exp *e, const char *fmt, ...)
{
	va_list ap;

	buf_adds(&e->notes, "  ");
	va_start(ap, fmt);
	buf_vaddf(&e->notes, fmt, ap);
	va_end(ap);
	buf_addc(&e->notes, '\n');
	e->nnotes++;
}

/* Database helpers --------------------------------------------------------- */

static int
pg_fail(struct exp *e, PGresult *r, const char *what)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(e->c);
	char m[512];
	size_t n;

	if (st == NULL || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P0", 4) == 0 || strcmp(st, "53300") == 0 ||
	    PQstatus(e->c) != CONNECTION_OK)
		e->unavailable = 1;
	snprintf(m, sizeof(m), "%s", msg ? msg : "");
	n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		m[--n] = '\0';
	PQclear(r);
	return errorx("export: %s: %s", what, m);
}

/* Run SQL with text parameters; NULL (logged) unless status is ok. */
static PGresult *
qv(struct exp *e, const char *what, const char *sql, int n,
    const char *const *params)
{
	PGresult *r;
	ExecStatusType st;

	r = PQexecParams(e->c, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	pg_fail(e, r, what);
	return NULL;
}

static PGresult *
q(struct exp *e, const char *what, const char *sql)
{
	return qv(e, what, sql, 0, NULL);
}

static PGresult *
q1(struct exp *e, const char *what, const char *sql, const char *p1)
{
	return qv(e, what, sql, 1, &p1);
}

/* Fixed SQL text of this file, possibly several statements. */
static int
qdo(struct exp *e, const char *what, const char *sql)
{
	PGresult *r = PQexec(e->c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(e, r, what);
	PQclear(r);
	return 0;
}

static int64_t
val_i64(PGresult *r, int row, int col)
{
	const char *s = PQgetvalue(r, row, col);

	return s && *s ? strtoll(s, NULL, 10) : 0;
}

/* 1 if the relation exists (search_path applies), 0 if not, -1 on error. */
static int
has_table(struct exp *e, const char *name)
{
	PGresult *r;
	int yes;

	r = q1(e, name, "SELECT to_regclass($1) IS NOT NULL", name);
	if (r == NULL)
		return -1;
	yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return yes;
}

static int
has_col(struct exp *e, const char *table, const char *col)
{
	const char *p[2] = { table, col };
	PGresult *r;
	int yes;

	r = qv(e, table, "SELECT EXISTS (SELECT 1 FROM pg_attribute "
	    "WHERE attrelid = to_regclass($1) AND attname = $2 "
	    "AND attnum > 0 AND NOT attisdropped)", 2, p);
	if (r == NULL)
		return -1;
	yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return yes;
}

/* Detection ---------------------------------------------------------------- */

/* Columns every supported version has, "table.column". */
static const char *const required_cols[] = {
	"auth_user.id", "auth_user.username", "auth_user.password",
	"auth_user.email", "auth_user.first_name", "auth_user.last_name",
	"auth_user.is_active", "auth_user.is_superuser", "auth_user.is_staff",
	"auth_user.date_joined", "auth_user.last_login",
	"patchwork_userprofile.user_id", "patchwork_userprofile.send_email",
	"patchwork_userprofile.items_per_page",
	"patchwork_userprofile.show_ids",
	"patchwork_userprofile_maintainer_projects.userprofile_id",
	"patchwork_userprofile_maintainer_projects.project_id",
	"patchwork_state.slug", "patchwork_state.ordering",
	"patchwork_state.action_required",
	"patchwork_tag.pattern", "patchwork_tag.abbrev",
	"patchwork_tag.show_column",
	"patchwork_project.linkname", "patchwork_project.listid",
	"patchwork_project.listemail", "patchwork_project.subject_match",
	"patchwork_project.web_url", "patchwork_project.scm_url",
	"patchwork_project.webscm_url", "patchwork_project.list_archive_url",
	"patchwork_project.list_archive_url_format",
	"patchwork_project.commit_url_format",
	"patchwork_project.send_notifications", "patchwork_project.use_tags",
	"patchwork_person.email", "patchwork_person.name",
	"patchwork_person.user_id",
	"patchwork_delegationrule.path", "patchwork_delegationrule.priority",
	"patchwork_delegationrule.project_id",
	"patchwork_delegationrule.user_id",
	"patchwork_patchrelation.id",
	"patchwork_cover.msgid", "patchwork_cover.date",
	"patchwork_cover.headers", "patchwork_cover.content",
	"patchwork_cover.name", "patchwork_cover.project_id",
	"patchwork_cover.submitter_id",
	"patchwork_covercomment.cover_id", "patchwork_covercomment.msgid",
	"patchwork_covercomment.date", "patchwork_covercomment.headers",
	"patchwork_covercomment.content",
	"patchwork_covercomment.submitter_id",
	"patchwork_patchcomment.patch_id", "patchwork_patchcomment.msgid",
	"patchwork_patchcomment.date", "patchwork_patchcomment.headers",
	"patchwork_patchcomment.content",
	"patchwork_patchcomment.submitter_id",
	"patchwork_series.name", "patchwork_series.date",
	"patchwork_series.version", "patchwork_series.total",
	"patchwork_series.project_id", "patchwork_series.submitter_id",
	"patchwork_series.cover_letter_id",
	"patchwork_seriesreference.msgid",
	"patchwork_seriesreference.project_id",
	"patchwork_seriesreference.series_id",
	"patchwork_patchtag.count", "patchwork_patchtag.patch_id",
	"patchwork_patchtag.tag_id",
	"patchwork_check.date", "patchwork_check.state",
	"patchwork_check.target_url", "patchwork_check.description",
	"patchwork_check.context", "patchwork_check.patch_id",
	"patchwork_check.user_id",
	"patchwork_bundle.name", "patchwork_bundle.public",
	"patchwork_bundle.owner_id", "patchwork_bundle.project_id",
	"patchwork_bundlepatch.order", "patchwork_bundlepatch.bundle_id",
	"patchwork_bundlepatch.patch_id",
	"patchwork_event.category", "patchwork_event.date",
	"patchwork_event.project_id", "patchwork_event.actor_id",
	"patchwork_event.patch_id", "patchwork_event.series_id",
	"patchwork_event.cover_id", "patchwork_event.previous_state_id",
	"patchwork_event.current_state_id",
	"patchwork_event.previous_delegate_id",
	"patchwork_event.current_delegate_id",
	"patchwork_event.previous_relation_id",
	"patchwork_event.current_relation_id",
	"patchwork_event.created_check_id",
	"patchwork_emailconfirmation.type", "patchwork_emailconfirmation.email",
	"patchwork_emailconfirmation.key", "patchwork_emailconfirmation.date",
	"patchwork_emailconfirmation.active",
	"patchwork_emailconfirmation.user_id",
	"patchwork_emailoptout.email",
	"patchwork_patchchangenotification.patch_id",
	"patchwork_patchchangenotification.last_modified",
	"patchwork_patchchangenotification.orig_state_id",
};

/* Columns of patchwork_patch after 0043 (of the submission join before). */
static const char *const patch_cols[] = {
	"msgid", "date", "headers", "content", "name", "project_id",
	"submitter_id", "archived", "commit_ref", "delegate_id", "diff",
	"hash", "number", "pull_url", "related_id", "series_id", "state_id",
};

/* Temporary columns of migration 0043 (it runs non-atomically). */
static const char *const half_0043[] = {
	"archived2", "commit_ref2", "delegate2_id", "diff2", "hash2",
	"number2", "pull_url2", "related2_id", "series2_id", "state2_id",
	"delegate_id2", "related_id2", "series_id2", "state_id2",
};

static int
detect(struct exp *e)
{
	static const char *const need[] = {
		"auth_user", "patchwork_project", "patchwork_patch",
		"patchwork_person", "patchwork_state",
	};
	PGresult *r;
	size_t i;
	int v, sub, ptr;
	char tbl[128];
	const char *dot;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if ((v = has_table(e, need[i])) < 0)
			return -1;
		if (!v)
			return errorx("export: this is not a Django Patchwork "
			    "database (no table %s; check the database URL "
			    "and its search_path)", need[i]);
	}
	if ((v = has_table(e, "django_migrations")) < 0)
		return -1;
	if (v) {
		e->feat |= F_MIGRATIONS;
		r = q(e, "django_migrations", "SELECT max(name) FROM "
		    "django_migrations WHERE app = 'patchwork'");
		if (r == NULL)
			return -1;
		snprintf(e->migration, sizeof(e->migration), "%s",
		    PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	if ((v = has_table(e, "patchwork_cover")) < 0)
		return -1;
	if (!v)
		return errorx("export: the Django database is older than "
		    "Patchwork migration 0042 (Patchwork 2.x%s%s): upgrade to "
		    "Patchwork 3.0 or later and run `manage.py migrate` first",
		    e->migration[0] ? ", last migration " : "", e->migration);

	/* 0042 vs 0043+, and the half-applied 0043 (spec 1.2). */
	if ((sub = has_table(e, "patchwork_submission")) < 0)
		return -1;
	if ((ptr = has_col(e, "patchwork_patch", "submission_ptr_id")) < 0)
		return -1;
	for (i = 0; i < sizeof(half_0043) / sizeof(half_0043[0]); i++) {
		if ((v = has_col(e, "patchwork_patch", half_0043[i])) < 0)
			return -1;
		if (v == 0 && sub &&
		    (v = has_col(e, "patchwork_submission", half_0043[i])) < 0)
			return -1;
		if (v)
			goto half;
	}
	if (sub) {
		if ((v = has_col(e, "patchwork_submission", "archived")) < 0)
			return -1;
		if (v || !ptr)
			goto half;
		e->feat |= F_SPLIT;
		for (i = 0; i < 7; i++) {
			if ((v = has_col(e, "patchwork_submission",
			    patch_cols[i])) < 0)
				return -1;
			if (!v)
				return errorx("export: patchwork_submission has "
				    "no column %s; is this Patchwork?",
				    patch_cols[i]);
		}
		for (; i < sizeof(patch_cols) / sizeof(patch_cols[0]); i++) {
			if ((v = has_col(e, "patchwork_patch",
			    patch_cols[i])) < 0)
				return -1;
			if (!v)
				return errorx("export: patchwork_patch has no "
				    "column %s; is this Patchwork?",
				    patch_cols[i]);
		}
	} else {
		if (ptr)
			goto half;
		for (i = 0; i < sizeof(patch_cols) / sizeof(patch_cols[0]);
		    i++) {
			if ((v = has_col(e, "patchwork_patch",
			    patch_cols[i])) < 0)
				return -1;
			if (!v)
				goto half;
		}
	}

	for (i = 0; i < sizeof(required_cols) / sizeof(required_cols[0]);
	    i++) {
		dot = strchr(required_cols[i], '.');
		snprintf(tbl, sizeof(tbl), "%.*s",
		    (int)(dot - required_cols[i]), required_cols[i]);
		if ((v = has_col(e, tbl, dot + 1)) < 0)
			return -1;
		if (!v)
			return errorx("export: the Django database has no "
			    "column %s; it is not a Patchwork 3.x schema this "
			    "version understands", required_cols[i]);
	}

	if ((v = has_col(e, "patchwork_patchcomment", "addressed")) < 0)
		return -1;
	if (v)
		e->feat |= F_ADDRESSED_P;
	if ((v = has_col(e, "patchwork_covercomment", "addressed")) < 0)
		return -1;
	if (v)
		e->feat |= F_ADDRESSED_C;
	if ((v = has_col(e, "patchwork_event", "patch_comment_id")) < 0)
		return -1;
	if (v) {
		if ((v = has_col(e, "patchwork_event", "cover_comment_id")) < 0)
			return -1;
		if (v)
			e->feat |= F_COMMENT_EVENTS;
	}
	if ((v = has_col(e, "patchwork_project", "show_dependencies")) < 0)
		return -1;
	if (v)
		e->feat |= F_SHOW_DEPS;
	if ((v = has_col(e, "patchwork_series_dependencies",
	    "from_series_id")) < 0)
		return -1;
	if (v) {
		if ((v = has_col(e, "patchwork_series_dependencies",
		    "to_series_id")) < 0)
			return -1;
		if (v)
			e->feat |= F_SERIES_DEPS;
	}
	if ((v = has_col(e, "authtoken_token", "key")) < 0)
		return -1;
	if (v)
		e->feat |= F_TOKENS;

	if (e->feat & F_SPLIT)
		strcpy(e->level, "0042");
	else if (e->feat & (F_SERIES_DEPS | F_SHOW_DEPS))
		strcpy(e->level, "0048");
	else if (e->feat & F_COMMENT_EVENTS)
		strcpy(e->level, "0046");
	else if (e->feat & (F_ADDRESSED_P | F_ADDRESSED_C))
		strcpy(e->level, "0045");
	else
		strcpy(e->level, "0044");
	return 0;
half:
	return errorx("export: the Django database is in the middle of "
	    "migration 0043_merge_patch_submission (it stopped half way: "
	    "patchwork_submission and patchwork_patch are neither split nor "
	    "merged); restore the backup taken before the upgrade, or finish "
	    "it with `manage.py migrate`, then export again");
}

/* Source SELECTs ------------------------------------------------------------- */

/*
 * Our hash is NULL or 40 lower-case hex digits.  ltrim() with a set is
 * much cheaper than a regular expression over millions of rows.
 */
#define SQL_HASH "CASE WHEN ltrim(p.hash::text, '0123456789abcdef') = '' " \
	"AND length(p.hash) = 40 THEN p.hash::text " \
	"WHEN lower(p.hash::text) ~ '^[0-9a-f]{40}$' " \
	"THEN lower(p.hash::text) END AS hash"
#define SQL_BAD_HASH "p.hash IS NOT NULL AND (length(p.hash) <> 40 OR " \
	"ltrim(p.hash::text, '0123456789abcdef') <> '')"
#define SQL_BUNDLE_NAME "CASE WHEN b.name = '' THEN 'bundle-' || b.id " \
	"ELSE replace(b.name, '/', '-') END"

/*
 * The rows of a table in our column names, straight from Django, before
 * any filtering or date conversion.  Every later query wraps these as a
 * subquery "b", which PostgreSQL flattens.
 */
static void
base_sql(struct exp *e, enum xt t, struct buf *b)
{
	switch (t) {
	case XT_STATE:
		buf_adds(b, "SELECT s.id, s.name, s.slug, s.ordering, "
		    "s.action_required FROM patchwork_state s");
		break;
	case XT_TAG:
		buf_adds(b, "SELECT t.id, t.name, t.pattern, t.abbrev, "
		    "t.show_column FROM patchwork_tag t");
		break;
	case XT_AUTH_USER:
		buf_adds(b, "SELECT u.id, u.username, u.password, u.email, "
		    "u.first_name, u.last_name, u.is_active, "
		    "u.is_superuser AS is_admin, u.is_staff, u.date_joined, "
		    "u.last_login, coalesce(up.send_email, false) AS send_email, "
		    "coalesce(up.items_per_page, 100) AS items_per_page, "
		    "coalesce(up.show_ids, false) AS show_ids, "
		    "up.id IS NULL AS no_profile "
		    "FROM auth_user u LEFT JOIN patchwork_userprofile up "
		    "ON up.user_id = u.id");
		break;
	case XT_AUTH_TOKEN:
		if (e->feat & F_TOKENS)
			buf_adds(b, "SELECT t.key::text AS key, t.user_id, "
			    "t.created FROM authtoken_token t");
		else
			buf_adds(b, "SELECT NULL::text AS key, NULL::int AS "
			    "user_id, NULL::timestamptz AS created WHERE false");
		break;
	case XT_PROJECT:
		buf_adds(b, "SELECT p.id, p.linkname, p.name, p.listid, "
		    "p.listemail, p.subject_match, p.web_url, p.scm_url, "
		    "p.webscm_url, p.list_archive_url, "
		    "p.list_archive_url_format, p.commit_url_format, "
		    "p.send_notifications, p.use_tags, ");
		buf_adds(b, e->feat & F_SHOW_DEPS ? "p.show_dependencies" :
		    "false AS show_dependencies");
		buf_adds(b, " FROM patchwork_project p");
		break;
	case XT_PROJECT_MAINTAINER:
		buf_adds(b, "SELECT m.id, up.user_id, m.project_id "
		    "FROM patchwork_userprofile_maintainer_projects m "
		    "LEFT JOIN patchwork_userprofile up "
		    "ON up.id = m.userprofile_id");
		break;
	case XT_PERSON:
		buf_adds(b, "SELECT p.id, p.email, p.name, p.user_id "
		    "FROM patchwork_person p");
		break;
	case XT_DELEGATION_RULE:
		buf_adds(b, "SELECT d.id, d.path, d.priority, d.project_id, "
		    "d.user_id FROM patchwork_delegationrule d");
		break;
	case XT_PATCH_RELATION:
		buf_adds(b, "SELECT r.id FROM patchwork_patchrelation r");
		break;
	case XT_COVER:
		buf_adds(b, "SELECT c.id, c.msgid, c.date, c.headers, "
		    "c.content, c.name, c.project_id, c.submitter_id "
		    "FROM patchwork_cover c");
		break;
	case XT_SERIES:
		/* Our project_id is NOT NULL: take it from what the series holds. */
		buf_adds(b, "SELECT s.id, s.name, s.date, s.version, s.total, "
		    "coalesce(s.project_id, ");
		buf_adds(b, e->feat & F_SPLIT ?
		    "(SELECT min(p.patch_project_id) FROM patchwork_patch p " :
		    "(SELECT min(p.project_id) FROM patchwork_patch p ");
		buf_adds(b, "WHERE p.series_id = s.id), (SELECT c.project_id "
		    "FROM patchwork_cover c WHERE c.id = s.cover_letter_id), "
		    "(SELECT min(r.project_id) FROM patchwork_seriesreference r "
		    "WHERE r.series_id = s.id)) AS project_id, "
		    "s.submitter_id, s.cover_letter_id FROM patchwork_series s");
		break;
	case XT_SERIES_REFERENCE:
		buf_adds(b, "SELECT r.id, r.msgid, r.project_id, r.series_id "
		    "FROM patchwork_seriesreference r");
		break;
	case XT_SERIES_DEPENDENCY:
		if (e->feat & F_SERIES_DEPS)
			buf_adds(b, "SELECT d.id, d.from_series_id, "
			    "d.to_series_id FROM patchwork_series_dependencies d");
		else
			buf_adds(b, "SELECT NULL::int AS id, NULL::int AS "
			    "from_series_id, NULL::int AS to_series_id "
			    "WHERE false");
		break;
	case XT_PATCH:
		if (e->feat & F_SPLIT)
			buf_adds(b, "SELECT s.id, s.msgid, s.date, s.headers, "
			    "s.content, s.name, s.project_id, s.submitter_id, "
			    "p.archived, p.commit_ref, p.delegate_id, p.diff, "
			    SQL_HASH ", p.number, p.pull_url, "
			    "p.related_id, p.series_id, p.state_id "
			    "FROM patchwork_submission s JOIN patchwork_patch p "
			    "ON p.submission_ptr_id = s.id");
		else
			buf_adds(b, "SELECT p.id, p.msgid, p.date, p.headers, "
			    "p.content, p.name, p.project_id, p.submitter_id, "
			    "p.archived, p.commit_ref, p.delegate_id, p.diff, "
			    SQL_HASH ", p.number, p.pull_url, "
			    "p.related_id, p.series_id, p.state_id "
			    "FROM patchwork_patch p");
		break;
	case XT_PATCH_COMMENT:
		buf_adds(b, "SELECT c.id, c.msgid, c.date, c.headers, "
		    "c.content, c.patch_id, c.submitter_id, ");
		buf_adds(b, e->feat & F_ADDRESSED_P ? "c.addressed" :
		    "NULL::boolean AS addressed");
		buf_adds(b, " FROM patchwork_patchcomment c");
		break;
	case XT_COVER_COMMENT:
		buf_adds(b, "SELECT c.id, c.msgid, c.date, c.headers, "
		    "c.content, c.cover_id, c.submitter_id, ");
		buf_adds(b, e->feat & F_ADDRESSED_C ? "c.addressed" :
		    "NULL::boolean AS addressed");
		buf_adds(b, " FROM patchwork_covercomment c");
		break;
	case XT_PATCH_TAG:
		buf_adds(b, "SELECT t.id, t.patch_id, t.tag_id, t.count "
		    "FROM patchwork_patchtag t");
		break;
	case XT_CI_CHECK:
		buf_adds(b, "SELECT c.id, c.patch_id, c.user_id, c.date, "
		    "c.state, c.target_url, c.description, c.context "
		    "FROM patchwork_check c");
		break;
	case XT_BUNDLE:
		/* A bundle name is a URL segment here: no '/', not empty. */
		buf_adds(b, "SELECT b.id, " SQL_BUNDLE_NAME " AS name, "
		    "b.public, b.owner_id, b.project_id FROM patchwork_bundle b");
		break;
	case XT_BUNDLE_PATCH:
		buf_adds(b, "SELECT p.id, p.bundle_id, p.patch_id, "
		    "p.\"order\" AS position FROM patchwork_bundlepatch p");
		break;
	case XT_EVENT:
		buf_adds(b, "SELECT e.id, e.category, e.date, e.project_id, "
		    "e.actor_id, e.patch_id, e.series_id, e.cover_id, "
		    "e.previous_state_id, e.current_state_id, "
		    "e.previous_delegate_id, e.current_delegate_id, "
		    "e.previous_relation_id, e.current_relation_id, "
		    "e.created_check_id, ");
		buf_adds(b, e->feat & F_COMMENT_EVENTS ?
		    "e.patch_comment_id, e.cover_comment_id" :
		    "NULL::int AS patch_comment_id, "
		    "NULL::int AS cover_comment_id");
		buf_adds(b, " FROM patchwork_event e");
		break;
	case XT_EMAIL_CONFIRMATION:
		buf_adds(b, "SELECT c.id, c.type, c.email, c.key::text AS key, "
		    "c.date, c.active, c.user_id "
		    "FROM patchwork_emailconfirmation c");
		break;
	case XT_EMAIL_OPTOUT:
		/* Stored lower-cased and trimmed here. */
		buf_adds(b, "SELECT DISTINCT lower(btrim(o.email)) AS email "
		    "FROM patchwork_emailoptout o");
		break;
	case XT_PATCH_CHANGE_NOTIFICATION:
		buf_adds(b, "SELECT n.patch_id, n.last_modified, "
		    "n.orig_state_id FROM patchwork_patchchangenotification n");
		break;
	case XT__MAX:
		break;
	}
}

/* "(base) alias" */
static void
add_base(struct exp *e, struct buf *b, enum xt t, const char *alias)
{
	buf_addc(b, '(');
	base_sql(e, t, b);
	buf_addf(b, ") %s", alias);
}

/* Date conversion (spec 1.8). */
#define SQL_TZ		"current_setting('pw.tz')"
#define SQL_SINCE	"current_setting('pw.local_since')::timestamptz"

static void
add_mail_time(struct buf *b, const char *col)
{
	buf_addf(b, "((%s AT TIME ZONE " SQL_TZ ") AT TIME ZONE 'UTC')", col);
}

static void
add_act_time(struct buf *b, const char *col)
{
	buf_addf(b, "CASE WHEN %s >= " SQL_SINCE " THEN %s ELSE ", col, col);
	add_mail_time(b, col);
	buf_adds(b, " END");
}


/*
 * One pass over a child table finds every foreign key of its rows that is
 * NULL where ours is NOT NULL, or points at a parent row that is missing
 * or dropped: one scan with a hash join per parent, whatever the number
 * of keys.  Children of ghost patches are not orphans: the ghost rules
 * deal with them (before 0043 a ghost is not in the patch rows at all).
 * Result: the row's key, then per foreign key the offending value as
 * text ('' for NULL), or NULL when that key is fine.
 */
static PGresult *
orphan_query(struct exp *e, enum xt child, const size_t *fk, int nfk)
{
	struct buf b = BUF_INIT, bad = BUF_INIT, where = BUF_INIT;
	PGresult *r;
	int j;

	buf_addf(&b, "SELECT b.%s", xtables[child].key);
	for (j = 0; j < nfk; j++) {
		const struct xfk *f = &fks[fk[j]];

		buf_reset(&bad);
		buf_addf(&bad, "(b.%s IS NOT NULL AND (p%d.k IS NULL", f->col, j);
		if (e->drop[f->parent].n) {
			buf_addf(&bad, " OR b.%s = ANY(", f->col);
			add_array(&bad, &e->drop[f->parent]);
			buf_adds(&bad, "::bigint[])");
		}
		buf_adds(&bad, ")");
		if (f->parent == XT_PATCH && e->ghosts.n) {
			buf_addf(&bad, " AND b.%s <> ALL(", f->col);
			add_array(&bad, &e->ghosts);
			buf_adds(&bad, "::bigint[])");
		}
		buf_adds(&bad, ")");
		if (f->rule == FK_REQUIRED || f->rule == FK_STATE)
			buf_addf(&bad, " OR b.%s IS NULL", f->col);
		buf_addf(&b, ", CASE WHEN %s THEN coalesce(b.%s::text, '') END",
		    bad.s, f->col);
		buf_addf(&where, "%s(%s)", j ? " OR " : "", bad.s);
	}
	buf_adds(&b, " FROM ");
	add_base(e, &b, child, "b");
	for (j = 0; j < nfk; j++) {
		const struct xfk *f = &fks[fk[j]];

		buf_addf(&b, " LEFT JOIN (SELECT x.%s AS k FROM ",
		    xtables[f->parent].key);
		add_base(e, &b, f->parent, "x");
		buf_addf(&b, ") p%d ON p%d.k = b.%s", j, j, f->col);
	}
	buf_addf(&b, " WHERE (%s)", where.s);
	if (child == XT_PATCH && e->ghosts.n) {
		buf_adds(&b, " AND b.id <> ALL(");
		add_array(&b, &e->ghosts);
		buf_adds(&b, "::bigint[])");
	}
	buf_adds(&b, " ORDER BY 1");
	r = q(e, xtables[child].name, b.s);
	buf_release(&b);
	buf_release(&bad);
	buf_release(&where);
	return r;
}

static int
orphans(struct exp *e)
{
	int grew[XT__MAX], next[XT__MAX], pass, changed, t, i, j, nfk;
	size_t k, fk[NFKS];
	PGresult *r;
	int64_t key, v;
	const char *val;

	for (t = 0; t < XT__MAX; t++)
		grew[t] = 1;
	for (pass = 0; pass < 50; pass++) {
		changed = 0;
		memset(next, 0, sizeof(next));
		for (t = 0; t < XT__MAX; t++) {
			int wanted = pass == 0;

			nfk = 0;
			for (k = 0; k < NFKS; k++) {
				if (fks[k].child != (enum xt)t ||
				    (fks[k].need & e->feat) != fks[k].need)
					continue;
				fk[nfk++] = k;
				/* Only a parent that lost rows orphans more. */
				wanted |= grew[fks[k].parent];
			}
			if (nfk == 0 || !wanted)
				continue;
			if ((r = orphan_query(e, t, fk, nfk)) == NULL)
				return -1;
			for (i = 0; i < PQntuples(r); i++) {
				key = val_i64(r, i, 0);
				for (j = 0; j < nfk; j++) {
					const struct xfk *f = &fks[fk[j]];
					int null;

					if (PQgetisnull(r, i, j + 1) ||
					    idset_has(&e->drop[t], key))
						continue;
					val = PQgetvalue(r, i, j + 1);
					null = *val == '\0';
					v = null ? 0 : strtoll(val, NULL, 10);
					if (f->rule == FK_SETNULL ||
					    (f->rule == FK_STATE &&
					    e->default_state)) {
						if (!null &&
						    idset_has(&e->setnull[fk[j]], v))
							continue;
						if (f->rule == FK_SETNULL)
							note(e, "%s %s: %s %s has "
							    "no %s row; set to NULL",
							    xtables[t].name,
							    PQgetvalue(r, i, 0),
							    f->col, val,
							    xtables[f->parent].name);
						else
							note(e, "%s %s: %s %s; set "
							    "to %" PRId64 " (the "
							    "first state)",
							    xtables[t].name,
							    PQgetvalue(r, i, 0),
							    f->col, null ? "is NULL" :
							    "has no state row",
							    e->default_state);
						if (!null)
							idset_add(&e->setnull[fk[j]],
							    v);
						continue;
					}
					if (null)
						note(e, "%s %s: skipped, %s is "
						    "NULL%s", xtables[t].name,
						    PQgetvalue(r, i, 0), f->col,
						    t == XT_SERIES ? " (Django "
						    "allowed it) and no patch, "
						    "cover or reference of the "
						    "series has one" : "");
					else
						note(e, "%s %s: skipped, %s %s has "
						    "no %s row", xtables[t].name,
						    PQgetvalue(r, i, 0), f->col,
						    val, xtables[f->parent].name);
					idset_add(&e->drop[t], key);
					next[t] = 1;
					changed = 1;
				}
			}
			PQclear(r);
			idset_sort(&e->drop[t]);
			for (j = 0; j < nfk; j++)
				idset_sort(&e->setnull[fk[j]]);
		}
		memcpy(grew, next, sizeof(grew));
		if (!changed)
			return 0;
	}
	return errorx("export: orphan removal does not settle");
}

/* Rows our schema refuses, and values it needs changed --------------------- */

struct xrule {
	enum xt		 t;
	unsigned	 need;
	const char	*cond;	/* on the base row b */
	const char	*why;
};

static const struct xrule rules[] = {
	{ XT_AUTH_TOKEN, 0, "b.key !~ '^[0-9a-f]{40}$'",
	    "the key is not 40 lower-case hex digits (the user needs a new "
	    "token)" },
	{ XT_EMAIL_CONFIRMATION, 0, "b.type NOT IN ('registration', "
	    "'userperson', 'optout')", "unknown confirmation type" },
	{ XT_EMAIL_CONFIRMATION, 0, "b.key !~ '^[0-9a-f]{40}$'",
	    "the key is not 40 lower-case hex digits" },
	{ XT_EMAIL_CONFIRMATION, 0, "EXISTS (SELECT 1 FROM "
	    "patchwork_emailconfirmation o WHERE o.key = b.key AND o.id < b.id)",
	    "an older confirmation has the same key" },
	{ XT_SERIES_DEPENDENCY, F_SERIES_DEPS,
	    "b.from_series_id = b.to_series_id",
	    "a series cannot depend on itself" },
	{ XT_CI_CHECK, 0, "b.state NOT BETWEEN 0 AND 3",
	    "state is not 0 to 3" },
	{ XT_EVENT, 0, "b.category NOT IN ('cover-created', 'patch-created', "
	    "'patch-completed', 'patch-state-changed', 'patch-delegated', "
	    "'patch-relation-changed', 'check-created', 'series-created', "
	    "'series-completed', 'cover-comment-created', "
	    "'patch-comment-created')", "unknown category" },
};

static int
apply_rules(struct exp *e)
{
	struct buf b = BUF_INIT;
	PGresult *r;
	size_t k;
	int i;

	for (k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
		if ((rules[k].need & e->feat) != rules[k].need)
			continue;
		buf_reset(&b);
		buf_addf(&b, "SELECT b.%s FROM ", xtables[rules[k].t].key);
		add_base(e, &b, rules[k].t, "b");
		buf_addf(&b, " WHERE %s ORDER BY 1", rules[k].cond);
		if ((r = q(e, xtables[rules[k].t].name, b.s)) == NULL) {
			buf_release(&b);
			return -1;
		}
		for (i = 0; i < PQntuples(r); i++) {
			if (idset_has(&e->drop[rules[k].t], val_i64(r, i, 0)))
				continue;
			idset_add(&e->drop[rules[k].t], val_i64(r, i, 0));
			note(e, "%s %s: skipped, %s", xtables[rules[k].t].name,
			    PQgetvalue(r, i, 0), rules[k].why);
		}
		PQclear(r);
		idset_sort(&e->drop[rules[k].t]);
	}
	buf_release(&b);
	return 0;
}

/* Values the base SELECTs change on the way; each row reported. */
static int
changes(struct exp *e)
{
	struct buf b = BUF_INIT;
	PGresult *r = NULL;
	int i, rc = -1;

	r = q(e, "state", "SELECT id FROM patchwork_state "
	    "ORDER BY ordering, id LIMIT 1");
	if (r == NULL)
		goto out;
	e->default_state = PQntuples(r) ? val_i64(r, 0, 0) : 0;
	PQclear(r);

	buf_adds(&b, "SELECT s.id, b.project_id FROM patchwork_series s JOIN ");
	add_base(e, &b, XT_SERIES, "b");
	buf_adds(&b, " ON b.id = s.id WHERE s.project_id IS NULL AND "
	    "b.project_id IS NOT NULL ORDER BY 1");
	if ((r = q(e, "series", b.s)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		note(e, "series %s: no project in Django; given project %s, "
		    "the project of its patches, cover or references",
		    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);

	r = q(e, "patch", e->feat & F_SPLIT ?
	    "SELECT p.submission_ptr_id, p.hash, lower(p.hash::text) ~ "
	    "'^[0-9a-f]{40}$' FROM patchwork_patch p WHERE " SQL_BAD_HASH
	    " ORDER BY 1" :
	    "SELECT p.id, p.hash, lower(p.hash::text) ~ "
	    "'^[0-9a-f]{40}$' FROM patchwork_patch p WHERE " SQL_BAD_HASH
	    " ORDER BY 1");
	if (r == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		note(e, "patch %s: hash '%s' %s", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)[0] == 't' ?
		    "lower-cased" : "is not 40 hex digits; set to NULL");
	PQclear(r);

	r = q(e, "bundle", "SELECT b.id, b.name, " SQL_BUNDLE_NAME " FROM "
	    "patchwork_bundle b WHERE b.name = '' OR strpos(b.name, '/') > 0 "
	    "ORDER BY 1");
	if (r == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		note(e, "bundle %s: name '%s' renamed '%s' (no '/' in a bundle "
		    "name, which is a URL segment)", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	PQclear(r);

	r = q(e, "email_optout", "SELECT o.email, lower(btrim(o.email)) FROM "
	    "patchwork_emailoptout o WHERE o.email <> lower(btrim(o.email)) "
	    "ORDER BY 1");
	if (r == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		note(e, "email_optout '%s': stored as '%s'",
		    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	r = NULL;
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

/* Ghost cover letters (spec 1.6) -------------------------------------------- */

static int
ghosts(struct exp *e)
{
	struct buf b = BUF_INIT;
	PGresult *r = NULL;
	int64_t next;
	int i, rc = -1;
	size_t k;

	/*
	 * A ghost: no diff, no pull URL, and a cover with the same id,
	 * msgid and project.  Before 0043 it is a submission with no patch
	 * row.
	 */
	if (e->feat & F_SPLIT)
		buf_adds(&b, "SELECT s.id, NULL::text FROM patchwork_submission s "
		    "JOIN patchwork_cover c ON c.id = s.id AND c.msgid = s.msgid "
		    "AND c.project_id = s.project_id WHERE NOT EXISTS (SELECT 1 "
		    "FROM patchwork_patch p WHERE p.submission_ptr_id = s.id) "
		    "ORDER BY 1");
	else
		buf_adds(&b, "SELECT p.id, st.name FROM patchwork_patch p "
		    "JOIN patchwork_cover c ON c.id = p.id AND c.msgid = p.msgid "
		    "AND c.project_id = p.project_id LEFT JOIN patchwork_state st "
		    "ON st.id = p.state_id WHERE p.diff IS NULL "
		    "AND p.pull_url IS NULL ORDER BY 1");
	if ((r = q(e, "ghost covers", b.s)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		idset_add(&e->ghosts, val_i64(r, i, 0));
		if (e->feat & F_SPLIT)
			note(e, "submission %s: not a patch, the leftover copy "
			    "of pre-3.0 cover letter %s (same id, msgid and "
			    "project)", PQgetvalue(r, i, 0), PQgetvalue(r, i, 0));
		else
			note(e, "patch %s: skipped, the leftover copy of pre-3.0 "
			    "cover letter %s (same id, msgid and project)%s%s",
			    PQgetvalue(r, i, 0), PQgetvalue(r, i, 0),
			    PQgetisnull(r, i, 1) ? "" : "; it had state ",
			    PQgetisnull(r, i, 1) ? "" : PQgetvalue(r, i, 1));
	}
	PQclear(r);
	r = NULL;
	idset_sort(&e->ghosts);
	if (e->feat & F_SPLIT) {
		/* Submissions that are neither: their replies are orphans. */
		buf_reset(&b);
		buf_adds(&b, "SELECT s.id FROM patchwork_submission s WHERE "
		    "NOT EXISTS (SELECT 1 FROM patchwork_patch p WHERE "
		    "p.submission_ptr_id = s.id)");
		if (e->ghosts.n) {
			buf_adds(&b, " AND s.id <> ALL(");
			add_array(&b, &e->ghosts);
			buf_adds(&b, "::bigint[])");
		}
		buf_adds(&b, " ORDER BY 1");
		if ((r = q(e, "submissions", b.s)) == NULL)
			goto out;
		for (i = 0; i < PQntuples(r); i++)
			note(e, "submission %s: skipped, neither a patch nor a "
			    "cover letter", PQgetvalue(r, i, 0));
		PQclear(r);
		r = NULL;
	}
	if (e->ghosts.n == 0) {
		rc = 0;
		goto out;
	}

	/* Replies misfiled on a ghost become comments on its cover. */
	buf_reset(&b);
	buf_adds(&b, "SELECT c.id, c.patch_id, (SELECT min(cc.id) FROM "
	    "patchwork_covercomment cc WHERE cc.cover_id = c.patch_id AND "
	    "cc.msgid = c.msgid), (SELECT coalesce(max(id), 0) FROM "
	    "patchwork_covercomment) FROM patchwork_patchcomment c "
	    "WHERE c.patch_id = ANY(");
	add_array(&b, &e->ghosts);
	buf_adds(&b, "::bigint[]) ORDER BY c.id");
	if ((r = q(e, "ghost replies", b.s)) == NULL)
		goto out;
	e->nmv = PQntuples(r);
	e->mv = xcalloc(e->nmv ? e->nmv : 1, sizeof(*e->mv));
	next = e->nmv ? val_i64(r, 0, 3) : 0;
	for (i = 0; i < PQntuples(r); i++) {
		struct moved *m = &e->mv[i];

		m->old_id = val_i64(r, i, 0);
		m->cover_id = val_i64(r, i, 1);
		idset_add(&e->moved_old, m->old_id);
		if (!PQgetisnull(r, i, 2)) {
			m->dup = 1;
			m->new_id = val_i64(r, i, 2);
			note(e, "patch_comment %" PRId64 ": skipped, reply filed "
			    "on ghost patch %" PRId64 " that cover %" PRId64
			    " already has as cover_comment %" PRId64,
			    m->old_id, m->cover_id, m->cover_id, m->new_id);
		} else {
			m->new_id = ++next;
			note(e, "patch_comment %" PRId64 ": moved to cover %"
			    PRId64 " as cover_comment %" PRId64 " (reply filed "
			    "on ghost patch %" PRId64 ")", m->old_id,
			    m->cover_id, m->new_id, m->cover_id);
		}
	}
	PQclear(r);
	r = NULL;
	idset_sort(&e->moved_old);

	/* What else hung off the ghosts goes, each row reported. */
	{
		static const struct { enum xt t; const char *what; } kids[] = {
			{ XT_PATCH_TAG, "tag count" },
			{ XT_CI_CHECK, "check" },
			{ XT_BUNDLE_PATCH, "bundle entry" },
			{ XT_PATCH_CHANGE_NOTIFICATION, "pending notification" },
		};

		if (e->feat & F_SPLIT)
			goto events;	/* these point at patchwork_patch */
		for (k = 0; k < sizeof(kids) / sizeof(kids[0]); k++) {
			buf_reset(&b);
			buf_addf(&b, "SELECT b.%s, b.patch_id FROM ",
			    xtables[kids[k].t].key);
			add_base(e, &b, kids[k].t, "b");
			buf_adds(&b, " WHERE b.patch_id = ANY(");
			add_array(&b, &e->ghosts);
			buf_adds(&b, "::bigint[]) ORDER BY 1");
			if ((r = q(e, xtables[kids[k].t].name, b.s)) == NULL)
				goto out;
			for (i = 0; i < PQntuples(r); i++) {
				if (idset_has(&e->drop[kids[k].t],
				    val_i64(r, i, 0)))
					continue;
				idset_add(&e->drop[kids[k].t], val_i64(r, i, 0));
				note(e, "%s %s: skipped, a %s on ghost patch %s",
				    xtables[kids[k].t].name, PQgetvalue(r, i, 0),
				    kids[k].what, PQgetvalue(r, i, 1));
			}
			PQclear(r);
			r = NULL;
			idset_sort(&e->drop[kids[k].t]);
		}
	}
events:
	/*
	 * Events: a patch-comment-created event for a moved reply becomes
	 * cover-comment-created on the cover; any other event about a ghost
	 * goes.
	 */
	buf_reset(&b);
	buf_adds(&b, "SELECT b.id, b.category, b.patch_id, b.patch_comment_id "
	    "FROM ");
	add_base(e, &b, XT_EVENT, "b");
	buf_adds(&b, " WHERE b.patch_id = ANY(");
	add_array(&b, &e->ghosts);
	buf_adds(&b, "::bigint[]) ORDER BY 1");
	if ((r = q(e, "events", b.s)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		int64_t id = val_i64(r, i, 0);

		if (!PQgetisnull(r, i, 3) &&
		    idset_has(&e->moved_old, val_i64(r, i, 3))) {
			for (k = 0; k < e->nmv; k++)
				if (e->mv[k].old_id == val_i64(r, i, 3))
					break;
			idset_add(&e->rewritten, id);
			note(e, "event %" PRId64 ": %s on ghost patch %s changed "
			    "to cover-comment-created on cover %" PRId64
			    ", cover_comment %" PRId64, id, PQgetvalue(r, i, 1),
			    PQgetvalue(r, i, 2), e->mv[k].cover_id,
			    e->mv[k].new_id);
			continue;
		}
		if (idset_has(&e->drop[XT_EVENT], id))
			continue;
		idset_add(&e->drop[XT_EVENT], id);
		note(e, "event %" PRId64 ": skipped, %s on ghost patch %s", id,
		    PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	}
	idset_sort(&e->rewritten);
	idset_sort(&e->drop[XT_EVENT]);
	rc = 0;
out:
	PQclear(r);
	buf_release(&b);
	return rc;
}

/* Time zones (spec 1.8) ------------------------------------------------------ */

/* "YYYY-MM-DD HH:MM:SS[.frac]" as UTC seconds; -1 on nonsense. */
static int
parse_naive(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* A Date: header as UTC seconds, through GMime's lenient parser. */
static int
parse_mail_date(const char *s, int64_t *out)
{
	GDateTime *dt;

	if (s == NULL || *s == '\0')
		return -1;
	dt = g_mime_utils_header_decode_date(s);
	if (dt == NULL)
		return -1;
	*out = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	/* GMime answers the epoch for dates it cannot read. */
	return *out == 0 && strstr(s, "1970") == NULL ? -1 : 0;
}

static void
fmt_utc(char *dst, size_t n, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(dst, n, "%Y-%m-%d %H:%M:%S+00", &tm);
}

#define SQL_DATE_LINE \
	"substring(b.headers from '(?in)^date:[ \\t]*([^\\r\\n]*)')"

/*
 * Compare the mails' Date: headers with what Django stored, read back in
 * the zone we were given.  Right zone: they agree to the second (but for
 * the DST gap).  Otherwise look for the zone that fits and say so.
 */
static int
check_zone(struct exp *e)
{
	struct buf b = BUF_INIT, s = BUF_INIT, h = BUF_INIT;
	PGresult *r = NULL;
	int i, n = 0, agree = 0, unreadable = 0, rc = -1;
	int64_t naive, hdr;
	char stamp[40];
	const char *p[2];

	buf_adds(&b, "(SELECT b.date::text, (b.date AT TIME ZONE " SQL_TZ
	    ")::text, " SQL_DATE_LINE " FROM ");
	add_base(e, &b, XT_PATCH, "b");
	buf_adds(&b, " ORDER BY b.id DESC LIMIT 400) UNION ALL (SELECT "
	    "b.date::text, (b.date AT TIME ZONE " SQL_TZ ")::text, "
	    SQL_DATE_LINE " FROM ");
	add_base(e, &b, XT_COVER, "b");
	buf_adds(&b, " ORDER BY b.id DESC LIMIT 100)");
	if ((r = q(e, "time zone check", b.s)) == NULL)
		goto out;
	buf_addc(&s, '{');
	buf_addc(&h, '{');
	for (i = 0; i < PQntuples(r); i++) {
		if (parse_naive(PQgetvalue(r, i, 1), &naive) < 0 ||
		    parse_mail_date(PQgetvalue(r, i, 2), &hdr) < 0) {
			unreadable++;
			continue;
		}
		if (naive == hdr)
			agree++;
		fmt_utc(stamp, sizeof(stamp), hdr);
		buf_addf(&s, "%s\"%s\"", n ? "," : "", PQgetvalue(r, i, 0));
		buf_addf(&h, "%s\"%s\"", n ? "," : "", stamp);
		n++;
	}
	buf_addc(&s, '}');
	buf_addc(&h, '}');
	PQclear(r);
	r = NULL;
	if (n == 0) {
		log_warnx("export: no mail with a readable Date: header to "
		    "check --time-zone %s against; make sure it is Django's "
		    "TIME_ZONE", e->tz);
		rc = 0;
		goto out;
	}
	if (agree * 10 >= n * 9) {
		if (!e->o->quiet)
			fprintf(stderr, "time zone %s: %d of %d sampled mails "
			    "agree with their Date: header\n", e->tz, agree, n);
		rc = 0;
		goto out;
	}
	p[0] = s.s;
	p[1] = h.s;
	/*
	 * Zones that fit best; region names only, Patchwork's default first
	 * when it is among them (the data cannot tell apart zones that had
	 * the same offsets on those days).
	 */
	r = qv(e, "time zone search", "WITH f AS (SELECT z.name, count(*) "
	    "AS n FROM pg_timezone_names z, unnest($1::timestamptz[], "
	    "$2::timestamptz[]) AS u(s, h) WHERE z.name LIKE '%/%' AND "
	    "z.name NOT LIKE 'Etc/%' AND z.name NOT LIKE 'posix/%' AND "
	    "z.name NOT LIKE 'right/%' AND (u.s AT TIME ZONE z.name) = "
	    "(u.h AT TIME ZONE 'UTC') GROUP BY z.name), b AS (SELECT * FROM f "
	    "WHERE n = (SELECT max(n) FROM f) ORDER BY name = '"
	    EXPORT_DEFAULT_TZ "' DESC, name) SELECT (SELECT string_agg(name, "
	    "', ') FROM (SELECT name FROM b LIMIT 4) x) || CASE WHEN "
	    "(SELECT count(*) FROM b) > 4 THEN ', ...' ELSE '' END, "
	    "(SELECT max(n) FROM b) WHERE EXISTS (SELECT 1 FROM b)", 2, p);
	if (r == NULL)
		goto out;
	if (PQntuples(r) && val_i64(r, 0, 1) > agree)
		log_warnx("export: warning: --time-zone %s looks wrong: only "
		    "%d of %d sampled mails agree with their Date: header, "
		    "against %s for %s; give Django's TIME_ZONE with "
		    "--time-zone (dates are converted with %s as asked)",
		    e->tz, agree, n, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 0),
		    e->tz);
	else
		log_warnx("export: warning: only %d of %d sampled mails agree "
		    "with their Date: header under --time-zone %s, and no "
		    "other zone does better", agree, n, e->tz);
	rc = 0;
out:
	PQclear(r);
	buf_release(&b);
	buf_release(&s);
	buf_release(&h);
	return rc;
}

/* Stream the rows of a SELECT through COPY; fn gets each line's fields. */
typedef int (*row_fn)(void *, char **fields, int nfields);

static int
copy_rows(struct exp *e, const char *what, const char *select, row_fn fn,
    void *arg)
{
	struct buf b = BUF_INIT;
	PGresult *r;
	char *row = NULL, *f[16], *p;
	int n, nf, rc = -1, failed = 0;

	buf_addf(&b, "COPY (%s) TO STDOUT", select);
	r = PQexec(e->c, b.s);
	buf_release(&b);
	if (PQresultStatus(r) != PGRES_COPY_OUT)
		return pg_fail(e, r, what);
	PQclear(r);
	while ((n = PQgetCopyData(e->c, &row, 0)) > 0) {
		if (n && row[n - 1] == '\n')
			row[n - 1] = '\0';
		for (nf = 0, p = row; nf < 16; ) {
			f[nf++] = p;
			if ((p = strchr(p, '\t')) == NULL)
				break;
			*p++ = '\0';
		}
		if (!failed && fn(arg, f, nf) < 0)
			failed = 1;
		PQfreemem(row);
	}
	r = PQgetResult(e->c);
	if (n == -2 || PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(e, r, what);
		r = NULL;
	} else
		rc = failed ? -1 : 0;
	PQclear(r);
	while ((r = PQgetResult(e->c)) != NULL)
		PQclear(r);
	return rc;
}

/*
 * Scoring of the split: at each local-looking event, (UTC-looking events
 * before it) - (local-looking events before it); the best split
 * maximises that plus the number of local ones in all.
 */
struct switch_scan {
	int64_t	 nutc, nloc;		/* so far, then in all */
	int64_t	 max_l;			/* latest true instant of a UTC one */
	int	 have_l;
	int64_t	 best;			/* best score so far */
	int64_t	 best_id, best_s, best_off, best_l;
	int64_t	 best_utc_before, best_loc_before;
	int	 best_have_l;
};

static int
switch_row(void *arg, char **f, int nf)
{
	struct switch_scan *sw = arg;
	int64_t id, s, ne, np, off, gap, tol;
	int loc;

	if (nf < 4 || strcmp(f[3], "\\N") == 0)
		return 0;
	id = strtoll(f[0], NULL, 10);
	s = strtoll(f[1], NULL, 10);
	ne = strtoll(f[2], NULL, 10);
	np = strtoll(f[3], NULL, 10);
	off = ne - s;
	gap = ne - np;
	if (off == 0)
		return 0;
	tol = llabs(off) / 2 < 3600 ? llabs(off) / 2 : 3600;
	if (llabs(gap - off) <= tol)
		loc = 1;
	else if (llabs(gap) <= tol)
		loc = 0;
	else
		return 0;
	if (loc && sw->nutc - sw->nloc > sw->best) {
		sw->best = sw->nutc - sw->nloc;
		sw->best_id = id;
		sw->best_s = s;
		sw->best_off = off;
		sw->best_l = sw->max_l;
		sw->best_have_l = sw->have_l;
		sw->best_utc_before = sw->nutc;
		sw->best_loc_before = sw->nloc;
	}
	if (loc)
		sw->nloc++;
	else {
		sw->nutc++;
		if (!sw->have_l || ne > sw->max_l)
			sw->max_l = ne;
		sw->have_l = 1;
	}
	return 0;
}

/*
 * Patchwork 3.2 writes event, check and confirmation dates in local time
 * where 3.0 and 3.1 wrote UTC (spec 1.8).  Find the switch from
 * patch-created events: their distance from the patch's own (UTC) date
 * jumps by the zone offset.  The threshold is an instant: rows stored at
 * or after it are taken as correct already.
 */
static int
local_since(struct exp *e)
{
	struct buf b = BUF_INIT;
	PGresult *r = NULL;
	const char *ls = e->o->local_since;
	int rc = -1;

	snprintf(e->local_since, sizeof(e->local_since), "infinity");
	if (ls && strcmp(ls, "none") == 0)
		goto set;
	if (ls && strcmp(ls, "auto") != 0) {
		r = q1(e, "--local-since", "SELECT $1::timestamptz::text", ls);
		if (r == NULL)
			goto out;
		snprintf(e->local_since, sizeof(e->local_since), "%s",
		    PQgetvalue(r, 0, 0));
		PQclear(r);
		r = NULL;
		goto set;
	}
	/*
	 * Only events within an hour (or half the offset) of the patch's
	 * mail date, or of that plus the offset, say anything: archive
	 * imports create events years after the mails.  The switch is the
	 * event id that best splits them into UTC before and local after;
	 * the rows stream through COPY and are scored here, in one pass.
	 */
	{
		struct switch_scan sw;

		memset(&sw, 0, sizeof(sw));
		sw.best = INT64_MIN;
		buf_adds(&b, "SELECT e.id, extract(epoch FROM e.date)::bigint, "
		    "extract(epoch FROM e.date AT TIME ZONE " SQL_TZ
		    ")::bigint, extract(epoch FROM p.date AT TIME ZONE " SQL_TZ
		    ")::bigint FROM patchwork_event e JOIN ");
		add_base(e, &b, XT_PATCH, "p");
		buf_adds(&b, " ON p.id = e.patch_id WHERE e.category = "
		    "'patch-created' ORDER BY e.id");
		if (copy_rows(e, "3.2 local times", b.s, switch_row, &sw) < 0)
			goto out;
		if (sw.nloc && sw.best + sw.nloc > sw.nutc) {
			int64_t theta = sw.best_s;
			char when[40];

			/* See the spec, 1.8: between the last UTC-looking
			 * event and the first local one, less the offset. */
			if (sw.best_off > 0) {
				theta = sw.best_s - sw.best_off;
				if (sw.best_have_l && sw.best_l > theta)
					theta = sw.best_l;
			}
			fmt_utc(when, sizeof(when), theta);
			snprintf(e->local_since, sizeof(e->local_since), "%s",
			    when);
			log_warnx("export: patch-created events from event %"
			    PRId64 " on (%" PRId64 " of them, %" PRId64 " not) "
			    "carry local times, as Patchwork 3.2 writes: event, "
			    "check, confirmation and notification dates stored "
			    "at or after %s are taken as correct instants, older "
			    "ones as UTC; override with --local-since TIME or "
			    "--local-since none", sw.best_id,
			    sw.nloc - sw.best_loc_before,
			    sw.nutc - sw.best_utc_before, e->local_since);
		}
	}
set:
	{
		const char *p = e->local_since;

		if ((r = q1(e, "local_since", "SELECT set_config("
		    "'pw.local_since', $1, false)", p)) == NULL)
			goto out;
	}
	rc = 0;
out:
	PQclear(r);
	buf_release(&b);
	return rc;
}

/*
 * A naive UTC time inside the zone's spring-forward gap was stored an
 * hour late (spec 1.8).  Mail rows can be put right from their Date:
 * header; other rows are only reported.
 */
static int
dst_gap(struct exp *e)
{
	static const enum xt mail[] = {
		XT_PATCH, XT_COVER, XT_PATCH_COMMENT, XT_COVER_COMMENT,
	};
	static const struct { enum xt t; const char *col; } other[] = {
		{ XT_SERIES, "date" }, { XT_EVENT, "date" },
		{ XT_CI_CHECK, "date" }, { XT_EMAIL_CONFIRMATION, "date" },
		{ XT_PATCH_CHANGE_NOTIFICATION, "last_modified" },
	};
	struct buf b = BUF_INIT;
	PGresult *r = NULL;
	char *gaps = NULL;
	const char *param[1];
	size_t k;
	int i, np = 0, rc = -1;
	int64_t naive, hdr;
	struct fix *fx;

	/*
	 * The candidates were stored in [T, T + jump) for a spring-forward
	 * transition T.  From PostgreSQL 14 the transitions (1900 to 2100,
	 * found day by day, then to 15 minutes) become one multirange and
	 * each row costs a binary search; before, each row is tested by
	 * converting it back and forth.
	 */
	if (PQserverVersion(e->c) >= 140000) {
		r = q(e, "DST transitions", "WITH o AS (SELECT d, (d AT TIME "
		    "ZONE " SQL_TZ ") - (d AT TIME ZONE 'UTC') AS off FROM "
		    "generate_series(timestamptz '1900-01-01 00:00+00', "
		    "timestamptz '2100-01-01 00:00+00', interval '1 day') d), "
		    "j AS (SELECT d, off, lead(off) OVER (ORDER BY d) AS noff "
		    "FROM o), h AS (SELECT t, (t AT TIME ZONE " SQL_TZ ") - "
		    "(t AT TIME ZONE 'UTC') AS off FROM j, generate_series(j.d, "
		    "j.d + interval '1 day', interval '15 min') t "
		    "WHERE j.noff > j.off), k AS (SELECT t, off - lag(off) OVER "
		    "(ORDER BY t) AS jump FROM h) SELECT coalesce(range_agg("
		    "tstzrange(t, t + jump))::text, '{}') FROM k "
		    "WHERE jump > interval '0'");
		if (r == NULL)
			goto out;
		gaps = xstrdup(PQgetvalue(r, 0, 0));
		PQclear(r);
		r = NULL;
		param[0] = gaps;
		np = 1;
	}
#define GAP_COND(c) (np ? "$1::tstzmultirange @> " c : \
	"(((" c " AT TIME ZONE " SQL_TZ ") - interval '1 hour') AT TIME ZONE " \
	SQL_TZ ") AT TIME ZONE " SQL_TZ " <> (" c " AT TIME ZONE " SQL_TZ \
	") - interval '1 hour'")

	for (k = 0; k < sizeof(mail) / sizeof(mail[0]); k++) {
		buf_reset(&b);
		buf_adds(&b, "SELECT b.id, (b.date AT TIME ZONE " SQL_TZ
		    ")::text, " SQL_DATE_LINE " FROM ");
		add_base(e, &b, mail[k], "b");
		buf_adds(&b, " WHERE ");
		buf_adds(&b, GAP_COND("b.date"));
		buf_adds(&b, " ORDER BY 1");
		if ((r = qv(e, "DST gap", b.s, np, param)) == NULL)
			goto out;
		for (i = 0; i < PQntuples(r); i++) {
			if (parse_naive(PQgetvalue(r, i, 1), &naive) == 0 &&
			    parse_mail_date(PQgetvalue(r, i, 2), &hdr) == 0 &&
			    (hdr == naive - 3600 || hdr == naive - 1800)) {
				e->fix[mail[k]] = xreallocarray(e->fix[mail[k]],
				    e->nfix[mail[k]] + 1, sizeof(*fx));
				fx = &e->fix[mail[k]][e->nfix[mail[k]]++];
				fx->id = val_i64(r, i, 0);
				fmt_utc(fx->stamp, sizeof(fx->stamp), hdr);
				note(e, "%s %s: date set to %s from its Date: "
				    "header (stored 1 h late: the time fell in "
				    "the %s DST gap)", xtables[mail[k]].name,
				    PQgetvalue(r, i, 0), fx->stamp, e->tz);
			} else
				note(e, "%s %s: date %s UTC kept; it may be 1 h "
				    "late (%s DST gap), its Date: header does "
				    "not say", xtables[mail[k]].name,
				    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
				    e->tz);
		}
		PQclear(r);
		r = NULL;
	}
	for (k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
		char col[64];

		snprintf(col, sizeof(col), "b.%s", other[k].col);
		buf_reset(&b);
		buf_addf(&b, "SELECT b.%s, (%s AT TIME ZONE " SQL_TZ
		    ")::text FROM ", xtables[other[k].t].key, col);
		add_base(e, &b, other[k].t, "b");
		buf_addf(&b, " WHERE %s < " SQL_SINCE " AND ", col);
		if (np)
			buf_addf(&b, "$1::tstzmultirange @> %s", col);
		else
			buf_addf(&b, "(((%s AT TIME ZONE " SQL_TZ ") - interval "
			    "'1 hour') AT TIME ZONE " SQL_TZ ") AT TIME ZONE "
			    SQL_TZ " <> (%s AT TIME ZONE " SQL_TZ ") - "
			    "interval '1 hour'", col, col);
		buf_adds(&b, " ORDER BY 1");
		if ((r = qv(e, "DST gap", b.s, np, param)) == NULL)
			goto out;
		for (i = 0; i < PQntuples(r); i++)
			note(e, "%s %s: date %s UTC kept; it may be 1 h late "
			    "(%s DST gap)", xtables[other[k].t].name,
			    PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), e->tz);
		PQclear(r);
		r = NULL;
	}
#undef GAP_COND
	rc = 0;
out:
	PQclear(r);
	free(gaps);
	buf_release(&b);
	return rc;
}

/* The final SELECT of a table ----------------------------------------------- */

static const struct xfk *
setnull_fk(enum xt t, const char *col, size_t *k)
{
	for (*k = 0; *k < NFKS; (*k)++)
		if (fks[*k].child == t && (fks[*k].rule == FK_SETNULL ||
		    fks[*k].rule == FK_STATE) &&
		    strcmp(fks[*k].col, col) == 0)
			return &fks[*k];
	return NULL;
}

static void
add_fix_join(struct buf *b, struct exp *e, enum xt t, const char *alias,
    const char *on)
{
	size_t i;

	if (e->nfix[t] == 0)
		return;
	buf_adds(b, " LEFT JOIN unnest('{");
	for (i = 0; i < e->nfix[t]; i++)
		buf_addf(b, "%s%" PRId64, i ? "," : "", e->fix[t][i].id);
	buf_adds(b, "}'::bigint[], '{");
	for (i = 0; i < e->nfix[t]; i++)
		buf_addf(b, "%s\"%s\"", i ? "," : "", e->fix[t][i].stamp);
	buf_addf(b, "}'::timestamptz[]) AS %s(id, d) ON %s.id = %s", alias,
	    alias, on);
}

/* One column of table t, read from alias a (fix join fx when present). */
static void
add_col_expr(struct buf *b, struct exp *e, enum xt t, enum xt fixt,
    const struct xcol *c, const char *a)
{
	char col[160];
	size_t k;

	snprintf(col, sizeof(col), "%s.%s", a, c->name);
	switch (c->conv) {
	case XC_MAIL:
		if (e->nfix[fixt]) {
			buf_adds(b, "coalesce(fx.d, ");
			add_mail_time(b, col);
			buf_adds(b, ")");
		} else
			add_mail_time(b, col);
		return;
	case XC_ACT:
		add_act_time(b, col);
		return;
	case XC_PLAIN:
		break;
	}
	if (setnull_fk(t, c->name, &k) && fks[k].rule == FK_STATE &&
	    e->default_state) {
		buf_addf(b, "CASE WHEN %s IS NULL", col);
		if (e->setnull[k].n) {
			buf_addf(b, " OR %s = ANY(", col);
			add_array(b, &e->setnull[k]);
			buf_adds(b, "::bigint[])");
		}
		buf_addf(b, " THEN %" PRId64 " ELSE %s END", e->default_state,
		    col);
		return;
	}
	if (setnull_fk(t, c->name, &k) && e->setnull[k].n) {
		buf_addf(b, "CASE WHEN %s = ANY(", col);
		add_array(b, &e->setnull[k]);
		buf_addf(b, "::bigint[]) THEN NULL ELSE %s END", col);
		return;
	}
	buf_adds(b, col);
}

static int
event_rewrites(struct exp *e)
{
	return e->rewritten.n > 0;
}

static void
add_mv_unnest(struct buf *b, struct exp *e, int only_new)
{
	size_t i;
	int n;

	buf_adds(b, "unnest('{");
	for (i = n = 0; i < e->nmv; i++)
		if (!only_new || !e->mv[i].dup)
			buf_addf(b, "%s%" PRId64, n++ ? "," : "",
			    e->mv[i].old_id);
	buf_adds(b, "}'::bigint[], '{");
	for (i = n = 0; i < e->nmv; i++)
		if (!only_new || !e->mv[i].dup)
			buf_addf(b, "%s%" PRId64, n++ ? "," : "",
			    e->mv[i].new_id);
	buf_adds(b, "}'::bigint[], '{");
	for (i = n = 0; i < e->nmv; i++)
		if (!only_new || !e->mv[i].dup)
			buf_addf(b, "%s%" PRId64, n++ ? "," : "",
			    e->mv[i].cover_id);
	buf_adds(b, "}'::bigint[]) AS mv(old_id, new_id, cover_id)");
}

static void
final_sql(struct exp *e, enum xt t, struct buf *b)
{
	const struct xcol *c;
	int where = 0;

	buf_adds(b, "SELECT ");
	for (c = xtables[t].cols; c->name; c++) {
		if (c != xtables[t].cols)
			buf_adds(b, ", ");
		if (t == XT_EVENT && event_rewrites(e)) {
			if (strcmp(c->name, "category") == 0) {
				buf_adds(b, "CASE WHEN mv.old_id IS NOT NULL THEN "
				    "'cover-comment-created' ELSE b.category END");
				continue;
			}
			if (strcmp(c->name, "patch_id") == 0 ||
			    strcmp(c->name, "patch_comment_id") == 0) {
				buf_addf(b, "CASE WHEN mv.old_id IS NULL THEN "
				    "b.%s END", c->name);
				continue;
			}
			if (strcmp(c->name, "cover_id") == 0) {
				buf_adds(b, "coalesce(mv.cover_id, b.cover_id)");
				continue;
			}
			if (strcmp(c->name, "cover_comment_id") == 0) {
				buf_adds(b, "coalesce(mv.new_id, "
				    "b.cover_comment_id)");
				continue;
			}
		}
		add_col_expr(b, e, t, t, c, "b");
	}
	buf_adds(b, " FROM ");
	add_base(e, b, t, "b");
	add_fix_join(b, e, t, "fx", "b.id");
	if (t == XT_EVENT && event_rewrites(e)) {
		buf_adds(b, " LEFT JOIN ");
		add_mv_unnest(b, e, 0);
		buf_adds(b, " ON mv.old_id = b.patch_comment_id AND b.id = ANY(");
		add_array(b, &e->rewritten);
		buf_adds(b, "::bigint[])");
	}
	if (e->drop[t].n) {
		buf_addf(b, " WHERE b.%s <> ALL(", xtables[t].key);
		add_array(b, &e->drop[t]);
		buf_adds(b, "::bigint[])");
		where = 1;
	}
	if (t == XT_PATCH && e->ghosts.n) {
		buf_addf(b, " %s b.id <> ALL(", where ? "AND" : "WHERE");
		add_array(b, &e->ghosts);
		buf_adds(b, "::bigint[])");
		where = 1;
	}
	if (t == XT_PATCH_COMMENT && e->moved_old.n) {
		buf_addf(b, " %s b.id <> ALL(", where ? "AND" : "WHERE");
		add_array(b, &e->moved_old);
		buf_adds(b, "::bigint[])");
	}
	if (t == XT_COVER_COMMENT && e->nmv) {
		size_t i, n = 0;

		for (i = 0; i < e->nmv; i++)
			n += !e->mv[i].dup &&
			    !idset_has(&e->drop[XT_PATCH_COMMENT],
			    e->mv[i].old_id);
		if (n == 0)
			return;
		/* The moved replies, in the same column order. */
		buf_adds(b, " UNION ALL SELECT ");
		for (c = xtables[t].cols; c->name; c++) {
			if (c != xtables[t].cols)
				buf_adds(b, ", ");
			if (strcmp(c->name, "id") == 0)
				buf_adds(b, "mv.new_id");
			else if (strcmp(c->name, "cover_id") == 0)
				buf_adds(b, "mv.cover_id");
			else
				add_col_expr(b, e, XT_PATCH_COMMENT,
				    XT_PATCH_COMMENT, c, "b");
		}
		buf_adds(b, " FROM ");
		add_base(e, b, XT_PATCH_COMMENT, "b");
		buf_adds(b, " JOIN ");
		add_mv_unnest(b, e, 1);
		buf_adds(b, " ON mv.old_id = b.id");
		add_fix_join(b, e, XT_PATCH_COMMENT, "fx", "b.id");
		if (e->drop[XT_PATCH_COMMENT].n) {
			buf_adds(b, " WHERE b.id <> ALL(");
			add_array(b, &e->drop[XT_PATCH_COMMENT]);
			buf_adds(b, "::bigint[])");
		}
	}
}

/* Counting ----------------------------------------------------------------- */

static int
count_rows(struct exp *e)
{
	struct buf b = BUF_INIT;
	PGresult *r;
	int t;
	size_t i;
	int64_t n;

	for (t = 0; t < XT__MAX; t++) {
		buf_reset(&b);
		buf_adds(&b, "SELECT count(*) FROM ");
		add_base(e, &b, t, "b");
		if ((r = q(e, xtables[t].name, b.s)) == NULL) {
			buf_release(&b);
			return -1;
		}
		e->nread[t] = val_i64(r, 0, 0);
		PQclear(r);
		if (t == XT_EMAIL_OPTOUT) {
			/* The base merges addresses equal once lower-cased. */
			e->nwrite[t] = e->nread[t];
			if ((r = q(e, "email_optout", "SELECT count(*) FROM "
			    "patchwork_emailoptout")) == NULL) {
				buf_release(&b);
				return -1;
			}
			e->nread[t] = val_i64(r, 0, 0);
			PQclear(r);
			continue;
		}
		n = e->nread[t] - (int64_t)e->drop[t].n;
		if (t == XT_PATCH && !(e->feat & F_SPLIT))
			for (i = 0; i < e->ghosts.n; i++)
				n -= !idset_has(&e->drop[t], e->ghosts.v[i]);
		if (t == XT_PATCH_COMMENT)
			for (i = 0; i < e->moved_old.n; i++)
				n -= !idset_has(&e->drop[t],
				    e->moved_old.v[i]);
		if (t == XT_COVER_COMMENT)
			for (i = 0; i < e->nmv; i++)
				n += !e->mv[i].dup &&
				    !idset_has(&e->drop[XT_PATCH_COMMENT],
				    e->mv[i].old_id);
		e->nwrite[t] = n;
	}
	buf_release(&b);
	return 0;
}

/* Users: defaults and what the new system cannot verify. */
static int
users_report(struct exp *e)
{
	PGresult *r;
	int i;

	r = q(e, "auth_user", "SELECT u.id, u.username FROM auth_user u "
	    "WHERE NOT EXISTS (SELECT 1 FROM patchwork_userprofile up "
	    "WHERE up.user_id = u.id) ORDER BY 1");
	if (r == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		e->ndefaults++;
		note(e, "auth_user %s (%s): no profile row; send_email false, "
		    "items_per_page 100, show_ids false", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return 0;
}

struct hash_count {
	int64_t		 n[AUTH_KIND__MAX];
	struct buf	 names[AUTH_KIND__MAX];
};

static int
hash_row(void *arg, char **f, int nf)
{
	struct hash_count *hc = arg;
	enum auth_kind k;

	if (nf < 2)
		return 0;
	k = auth_kind(f[1]);
	hc->n[k]++;
	buf_addf(&hc->names[k], "%s%s", hc->names[k].len ? ", " : "", f[0]);
	return 0;
}

static int
print_summary(struct exp *e)
{
	PGresult *r;
	int t;

	if (e->o->quiet) {
		/* Only what needs a look. */
		if (e->nnotes)
			fprintf(stderr, "rows skipped or changed (%" PRId64
			    "):\n%s", e->nnotes, e->notes.s);
		return 0;
	}
	fprintf(stderr, "source: Django Patchwork, schema of migration %s%s%s"
	    "%s\n", e->level, e->migration[0] ? " (django_migrations: " : "",
	    e->migration, e->migration[0] ? ")" : "");
	fprintf(stderr, "%-28s %10s %10s\n", "table", "read", "written");
	for (t = 0; t < XT__MAX; t++)
		fprintf(stderr, "%-28s %10" PRId64 " %10" PRId64 "\n",
		    xtables[t].name, e->nread[t], e->nwrite[t]);
	if (e->nnotes) {
		fprintf(stderr, "rows skipped or changed (%" PRId64 "):\n",
		    e->nnotes);
		fputs(e->notes.s, stderr);
	} else
		fprintf(stderr, "no row skipped or changed\n");

	/* Password hashes (spec 3.2), classified as common/auth.c sees them. */
	{
		struct hash_count hc;
		int k;

		memset(&hc, 0, sizeof(hc));
		if (copy_rows(e, "auth_user", "SELECT username, password FROM "
		    "auth_user ORDER BY id", hash_row, &hc) < 0) {
			for (k = 0; k < AUTH_KIND__MAX; k++)
				buf_release(&hc.names[k]);
			return -1;
		}
		fprintf(stderr, "password hashes:\n");
		for (k = 0; k < AUTH_KIND__MAX; k++) {
			int ok = k == AUTH_KIND_PBKDF2_SHA256 ||
			    k == AUTH_KIND_PBKDF2_SHA1;

			if (hc.n[k])
				fprintf(stderr, "  %-16s %6" PRId64 "%s%s\n",
				    auth_kind_name(k), hc.n[k], ok ? "" :
				    "  cannot log in until they reset their "
				    "password: ", ok ? "" : hc.names[k].s);
			buf_release(&hc.names[k]);
		}
	}
	r = q(e, "auth_user", "SELECT string_agg(username, ', ' ORDER BY id) "
	    "FROM auth_user WHERE is_staff AND NOT is_superuser");
	if (r == NULL)
		return -1;
	if (!PQgetisnull(r, 0, 0))
		fprintf(stderr, "staff users who are not superusers (they "
		    "lose Django admin access, which does not exist here): "
		    "%s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (has_table(e, "django_session") == 1) {
		r = q(e, "django_session", "SELECT count(*) FROM "
		    "django_session WHERE expire_date > now()");
		if (r == NULL)
			return -1;
		fprintf(stderr, "sessions: %s live Django sessions are not "
		    "carried; users log in again (API tokens keep working)\n",
		    PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	if (has_table(e, "django_site") == 1) {
		r = q(e, "django_site", "SELECT domain FROM django_site "
		    "ORDER BY id LIMIT 1");
		if (r == NULL)
			return -1;
		if (PQntuples(r))
			fprintf(stderr, "django_site domain: %s (set "
			    "http.base_url accordingly)\n",
			    PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return 0;
}

/* Writing -------------------------------------------------------------------- */

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Windows-1252 0x80-0x9f; holes fall back to ISO-8859-1 (C1 controls). */
static const uint16_t cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static void
add_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80)
		buf_addc(b, (int)cp);
	else if (cp < 0x800) {
		buf_addc(b, 0xc0 | cp >> 6);
		buf_addc(b, 0x80 | (cp & 0x3f));
	} else {
		buf_addc(b, 0xe0 | cp >> 12);
		buf_addc(b, 0x80 | (cp >> 6 & 0x3f));
		buf_addc(b, 0x80 | (cp & 0x3f));
	}
}

/*
 * A COPY row from a SQL_ASCII database with bytes that are not UTF-8:
 * each field that is not valid UTF-8 is read as Windows-1252, the
 * fallback Patchwork's own parser uses.
 */
static void
repair_row(const char *row, size_t n, struct buf *out)
{
	size_t i, start = 0, end;

	buf_reset(out);
	for (i = 0; i <= n; i++) {
		if (i < n && row[i] != '\t' && row[i] != '\n')
			continue;
		end = i;
		if (utf8_valid((const unsigned char *)row + start,
		    end - start))
			buf_add(out, row + start, end - start);
		else {
			size_t j;

			for (j = start; j < end; j++) {
				unsigned char ch = row[j];

				if (ch < 0x80)
					buf_addc(out, ch);
				else if (ch < 0xa0)
					add_utf8(out, cp1252[ch - 0x80]);
				else
					add_utf8(out, ch);
			}
		}
		if (i < n)
			buf_addc(out, row[i]);
		start = i + 1;
	}
}

static int
copy_table(struct exp *e, enum xt t)
{
	struct buf b = BUF_INIT, fixed = BUF_INIT;
	PGresult *r;
	char *row = NULL;
	int n, rc = -1;
	int64_t rows = 0, copied;

	buf_adds(&b, "COPY (");
	final_sql(e, t, &b);
	buf_adds(&b, ") TO STDOUT");
	r = PQexec(e->c, b.s);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		pg_fail(e, r, xtables[t].name);
		goto out;
	}
	PQclear(r);
	buf_reset(&b);
	export_copy_line(&b, t);
	fprintf(e->out, "%s\n", b.s);
	while ((n = PQgetCopyData(e->c, &row, 0)) > 0) {
		if (e->sql_ascii && !utf8_valid((unsigned char *)row, n)) {
			repair_row(row, n, &fixed);
			note(e, "%s %.*s: invalid UTF-8 read as Windows-1252",
			    xtables[t].name, (int)strcspn(row, "\t\n"), row);
			e->nrepaired[t]++;
			fwrite(fixed.s, 1, fixed.len, e->out);
		} else
			fwrite(row, 1, n, e->out);
		PQfreemem(row);
		row = NULL;
		rows++;
	}
	r = PQgetResult(e->c);
	if (n == -2 || PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(e, r, xtables[t].name);
		while ((r = PQgetResult(e->c)) != NULL)
			PQclear(r);
		goto out;
	}
	copied = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	while ((r = PQgetResult(e->c)) != NULL)
		PQclear(r);
	fputs("\\.\n", e->out);
	if (rows != e->nwrite[t] || copied != rows) {
		errorx("export: %s: wrote %" PRId64 " rows, expected %" PRId64,
		    xtables[t].name, rows, e->nwrite[t]);
		goto out;
	}
	if (ferror(e->out)) {
		error("export: write");
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	buf_release(&fixed);
	return rc;
}

static int
write_header(struct exp *e)
{
	time_t now = time(NULL);
	char stamp[40];
	int t;

	fmt_utc(stamp, sizeof(stamp), now);
	fprintf(e->out,
	    "-- Patchwork database export, written by pw db export %s\n"
	    "-- format: %d\n"
	    "-- schema: %d\n"
	    "-- source: Django Patchwork, migration %s%s%s%s\n"
	    "-- time-zone: %s\n"
	    "-- local-since: %s\n"
	    "-- created: %s\n",
#ifdef PW_VERSION
	    PW_VERSION,
#else
	    "",
#endif
	    EXPORT_FORMAT, e->o->schema_version, e->level,
	    e->migration[0] ? " (django_migrations says " : "",
	    e->migration, e->migration[0] ? ")" : "", e->tz,
	    strcmp(e->local_since, "infinity") ? e->local_since : "none",
	    stamp);
	for (t = 0; t < XT__MAX; t++)
		fprintf(e->out, "-- rows: %s %" PRId64 "\n", xtables[t].name,
		    e->nwrite[t]);
	fprintf(e->out, "-- end of header\n"
	    "--\n"
	    "-- Load into a database prepared by `pw db sync`, in one "
	    "transaction:\n"
	    "--   pw db import FILE\n"
	    "--   psql -1 -v ON_ERROR_STOP=1 -f FILE\n"
	    "-- The file has no BEGIN/COMMIT of its own.\n\n");
	return ferror(e->out) ? error("export: write") : 0;
}

static int
write_fixed(struct exp *e, enum export_part part)
{
	struct buf b = BUF_INIT;
	const char *s;
	int n;

	for (n = 0; (s = export_statement(&b, part, e->o->schema_version, n));
	    n++)
		fprintf(e->out, "%s\n", s);
	buf_release(&b);
	return 0;
}

/* Entry -------------------------------------------------------------------- */

static int
session_setup(struct exp *e)
{
	PGresult *r;

	if (qdo(e, "session", "SET client_encoding = 'UTF8'; "
	    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
	    "SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3; "
	    "SET statement_timeout = 0; SET lock_timeout = 0; "
	    "SET idle_in_transaction_session_timeout = 0") < 0)
		return -1;
	if ((r = q(e, "session", "SHOW server_encoding")) == NULL)
		return -1;
	e->sql_ascii = strcmp(PQgetvalue(r, 0, 0), "SQL_ASCII") == 0;
	PQclear(r);
	if (e->sql_ascii) {
		/* The server would refuse to send invalid UTF-8: take bytes. */
		if (qdo(e, "session", "SET client_encoding = 'SQL_ASCII'") < 0)
			return -1;
		log_warnx("export: the Django database is SQL_ASCII: text that "
		    "is not UTF-8 is read as Windows-1252 and reported");
	}
	return qdo(e, "snapshot",
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

static int
set_zone(struct exp *e)
{
	PGresult *r;
	int ok;

	r = q1(e, "--time-zone", "SELECT EXISTS (SELECT 1 FROM "
	    "pg_timezone_names WHERE name = $1)", e->tz);
	if (r == NULL)
		return -1;
	ok = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!ok)
		return errorx("export: --time-zone %s: not a time zone name "
		    "PostgreSQL knows (give Django's TIME_ZONE, e.g. %s)",
		    e->tz, EXPORT_DEFAULT_TZ);
	r = q1(e, "--time-zone", "SELECT set_config('pw.tz', $1, false)",
	    e->tz);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
export_run(const struct export_opts *o, FILE *out, int *unavailable)
{
	struct exp e;
	int rc = -1, t;
	size_t k;

	memset(&e, 0, sizeof(e));
	buf_init(&e.notes, 0);
	e.o = o;
	e.out = out;
	e.tz = o->time_zone ? o->time_zone : EXPORT_DEFAULT_TZ;
	*unavailable = 0;
	g_mime_init();

	{
		/* The name shows in pg_stat_activity of the Django server. */
		const char *kw[] = { "fallback_application_name", "dbname",
		    NULL };
		const char *val[] = { "pw db export", o->conninfo ?
		    o->conninfo : "", NULL };

		e.c = PQconnectdbParams(kw, val, 1);
	}
	if (PQstatus(e.c) != CONNECTION_OK) {
		char m[512];

		snprintf(m, sizeof(m), "%s", PQerrorMessage(e.c));
		m[strcspn(m, "\n")] = '\0';
		e.unavailable = 1;
		errorx("export: cannot connect to the Django database: %s", m);
		goto out;
	}
	if (session_setup(&e) < 0 || detect(&e) < 0 || set_zone(&e) < 0)
		goto out;
	if (!o->quiet)
		fprintf(stderr, "reading Django Patchwork database (migration "
		    "%s), time zone %s\n", e.level, e.tz);
	if (check_zone(&e) < 0 || local_since(&e) < 0 || dst_gap(&e) < 0)
		goto out;
	if (apply_rules(&e) < 0 || changes(&e) < 0 || ghosts(&e) < 0 ||
	    orphans(&e) < 0 || users_report(&e) < 0 || count_rows(&e) < 0)
		goto out;
	if (write_header(&e) < 0 || write_fixed(&e, EXPORT_PREAMBLE) < 0)
		goto out;
	for (t = 0; t < XT__MAX; t++)
		if (copy_table(&e, t) < 0)
			goto out;
	write_fixed(&e, EXPORT_POSTAMBLE);
	fputs("-- end of export\n", out);
	if (fflush(out) == EOF || ferror(out)) {
		error("export: write");
		goto out;
	}
	if (print_summary(&e) < 0)
		goto out;
	if (qdo(&e, "snapshot", "COMMIT") < 0)
		goto out;
	rc = 0;
out:
	*unavailable = e.unavailable;
	PQfinish(e.c);
	idset_release(&e.ghosts);
	idset_release(&e.moved_old);
	idset_release(&e.rewritten);
	for (t = 0; t < XT__MAX; t++) {
		idset_release(&e.drop[t]);
		free(e.fix[t]);
	}
	for (k = 0; k < NFKS; k++)
		idset_release(&e.setnull[k]);
	free(e.mv);
	buf_release(&e.notes);
	return rc;
}
