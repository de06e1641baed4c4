/*
 * pw admin: projects, users, API tokens, maintainers, states, tags and
 * delegation rules from the command line.
 *
 * The command and option names are those of patchwork-next's
 * docs/deployment/management.rst (`pw admin project create -n -l -i -e`,
 * `pw admin user create -u -e --admin`, `delete -f`, ...), so that
 * admins' scripts carry over; what it lacks (project fields, updates,
 * tokens, tag and state updates) follows the same pattern.
 *
 * Output is for scripts: lists are one object per line, fields separated
 * by tabs, no header; `show` prints "key: value" lines whose keys are the
 * option names that set them.  Control characters in values are printed
 * as '?', so a line is always one object.
 *
 * Exit status (sysexits.h; documented in man/pw-admin.8):
 *  0   done
 *  1   a delete was not confirmed; nothing changed
 *  64  usage: unknown command or option, missing option or argument
 *  65  invalid value (linkname, regex, password...), or the change
 *      conflicts with what is stored (duplicate, object still in use)
 *  67  the named project, user, state, tag, rule, maintainer or token
 *      does not exist
 *  70  internal error (unexpected database error)
 *  74  reading a password, or writing the output, failed
 *  75  the database is unreachable or busy: try again
 *  78  configuration error, or a database schema that is not this
 *      program's (`pw db sync`)
 *
 * Every statement is in stmts[] below, values only as $n parameters;
 * optional fields of an update travel as NULL and the statement keeps
 * the column with COALESCE, so no SQL is ever assembled here.  Deleting
 * a project is one DELETE that the database cascades: nothing is loaded
 * into this process, whatever the number of patches.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "auth.h"
#include "cmd.h"
#include "db.h"
#include "log.h"
#include "xalloc.h"

#define EX_NOTCONFIRMED	1
#define PASSWORD_MAX	4096


/* Statements --------------------------------------------------------- */

enum stmt {
	ST_PROJECT_LIST,
	ST_PROJECT_SHOW,
	ST_PROJECT_ID,
	ST_PROJECT_CREATE,
	ST_PROJECT_UPDATE,
	ST_PROJECT_DELETE,
	ST_USER_LIST,
	ST_USER_SHOW,
	ST_USER_ID,
	ST_USER_CREATE,
	ST_USER_UPDATE,
	ST_USER_PASSWD,
	ST_USER_DELETE,
	ST_TOKEN_GET,
	ST_TOKEN_ADD,
	ST_TOKEN_REPLACE,
	ST_TOKEN_REVOKE,
	ST_MAINT_LIST,
	ST_MAINT_ADD,
	ST_MAINT_REMOVE,
	ST_STATE_LIST,
	ST_STATE_CREATE,
	ST_STATE_UPDATE,
	ST_STATE_DELETE,
	ST_TAG_LIST,
	ST_TAG_BY_NAME,
	ST_TAG_BY_ABBREV,
	ST_TAG_CREATE,
	ST_TAG_UPDATE,
	ST_TAG_DELETE,
	ST_RULE_LIST,
	ST_RULE_CREATE,
	ST_RULE_DELETE_ID,
	ST_RULE_DELETE_PATH,
	ST__MAX
};

/*
 * Project fields in the order of the statements' parameters; the same
 * table drives the options of create and update and the output of show.
 */
enum pfield {
	PF_NAME,
	PF_LINKNAME,
	PF_LISTID,
	PF_LISTEMAIL,
	PF_WEB_URL,
	PF_SCM_URL,
	PF_WEBSCM_URL,
	PF_LIST_ARCHIVE_URL,
	PF_LIST_ARCHIVE_URL_FORMAT,
	PF_COMMIT_URL_FORMAT,
	PF_SUBJECT_MATCH,
	PF_SEND_NOTIFICATIONS,
	PF_USE_TAGS,
	PF_SHOW_DEPENDENCIES,
	PF_AUTO_SUPERSEDE,
	PF_NAV_HTML,		/* NULL in the table when '' */
	PF__MAX
};

#define PROJECT_COLS "name, linkname, listid, listemail, web_url, scm_url, " \
	"webscm_url, list_archive_url, list_archive_url_format, " \
	"commit_url_format, subject_match, send_notifications, use_tags, " \
	"show_dependencies, auto_supersede, nav_html"

static const struct stmt_def stmts[ST__MAX] = {
	[ST_PROJECT_LIST] = { "admin_project_list",
	    "SELECT id, linkname, name, listid, listemail FROM project"
	    " ORDER BY linkname", 0 },
	[ST_PROJECT_SHOW] = { "admin_project_show",
	    "SELECT " PROJECT_COLS ", id FROM project WHERE linkname = $1", 1 },
	[ST_PROJECT_ID] = { "admin_project_id",
	    "SELECT id FROM project WHERE linkname = $1", 1 },
	[ST_PROJECT_CREATE] = { "admin_project_create",
	    "INSERT INTO project (" PROJECT_COLS ") VALUES ($1, $2, $3, $4,"
	    " $5, $6, $7, $8, $9, $10, $11, $12::boolean, $13::boolean,"
	    " $14::boolean, $15::boolean, NULLIF($16, '')) RETURNING id", 16 },
	[ST_PROJECT_UPDATE] = { "admin_project_update",
	    "UPDATE project SET"
	    " name = COALESCE($2, name),"
	    " linkname = COALESCE($3, linkname),"
	    " listid = COALESCE($4, listid),"
	    " listemail = COALESCE($5, listemail),"
	    " web_url = COALESCE($6, web_url),"
	    " scm_url = COALESCE($7, scm_url),"
	    " webscm_url = COALESCE($8, webscm_url),"
	    " list_archive_url = COALESCE($9, list_archive_url),"
	    " list_archive_url_format = COALESCE($10, list_archive_url_format),"
	    " commit_url_format = COALESCE($11, commit_url_format),"
	    " subject_match = COALESCE($12, subject_match),"
	    " send_notifications = COALESCE($13::boolean, send_notifications),"
	    " use_tags = COALESCE($14::boolean, use_tags),"
	    " show_dependencies = COALESCE($15::boolean, show_dependencies),"
	    " auto_supersede = COALESCE($16::boolean, auto_supersede),"
	    " nav_html = CASE WHEN $17::text IS NULL THEN nav_html"
	    "  ELSE NULLIF($17, '') END"
	    " WHERE linkname = $1 RETURNING id", 17 },
	[ST_PROJECT_DELETE] = { "admin_project_delete",
	    "DELETE FROM project WHERE id = $1", 1 },

	[ST_USER_LIST] = { "admin_user_list",
	    "SELECT id, username, email, is_active, is_admin FROM auth_user"
	    " ORDER BY username", 0 },
	[ST_USER_SHOW] = { "admin_user_show",
	    "SELECT u.id, u.username, u.email, u.first_name, u.last_name,"
	    " u.is_active, u.is_admin,"
	    " to_char(u.date_joined, 'YYYY-MM-DD HH24:MI:SS'),"
	    " to_char(u.last_login, 'YYYY-MM-DD HH24:MI:SS'), u.password,"
	    " EXISTS (SELECT 1 FROM auth_token t WHERE t.user_id = u.id),"
	    " (SELECT string_agg(p.linkname, ' ' ORDER BY p.linkname)"
	    "  FROM project_maintainer m JOIN project p ON p.id = m.project_id"
	    "  WHERE m.user_id = u.id)"
	    " FROM auth_user u WHERE u.username = $1", 1 },
	[ST_USER_ID] = { "admin_user_id",
	    "SELECT id FROM auth_user WHERE username = $1", 1 },
	[ST_USER_CREATE] = { "admin_user_create",
	    "INSERT INTO auth_user (username, email, password, first_name,"
	    " last_name, is_admin, is_active, date_joined)"
	    " VALUES ($1, $2, $3, $4, $5, $6::boolean, true, now())"
	    " RETURNING id", 6 },
	[ST_USER_UPDATE] = { "admin_user_update",
	    "UPDATE auth_user SET"
	    " email = COALESCE($2, email),"
	    " first_name = COALESCE($3, first_name),"
	    " last_name = COALESCE($4, last_name),"
	    " is_admin = COALESCE($5::boolean, is_admin),"
	    " is_active = COALESCE($6::boolean, is_active)"
	    " WHERE username = $1 RETURNING id", 6 },
	[ST_USER_PASSWD] = { "admin_user_passwd",
	    "UPDATE auth_user SET password = $2 WHERE username = $1"
	    " RETURNING id", 2 },
	[ST_USER_DELETE] = { "admin_user_delete",
	    "DELETE FROM auth_user WHERE id = $1", 1 },

	[ST_TOKEN_GET] = { "admin_token_get",
	    "SELECT key FROM auth_token WHERE user_id = $1", 1 },
	[ST_TOKEN_ADD] = { "admin_token_add",
	    "INSERT INTO auth_token (key, user_id, created)"
	    " VALUES ($1, $2, now()) ON CONFLICT (user_id) DO NOTHING", 2 },
	[ST_TOKEN_REPLACE] = { "admin_token_replace",
	    "INSERT INTO auth_token (key, user_id, created)"
	    " VALUES ($1, $2, now()) ON CONFLICT (user_id)"
	    " DO UPDATE SET key = EXCLUDED.key, created = EXCLUDED.created",
	    2 },
	[ST_TOKEN_REVOKE] = { "admin_token_revoke",
	    "DELETE FROM auth_token WHERE user_id = $1", 1 },

	[ST_MAINT_LIST] = { "admin_maint_list",
	    "SELECT u.username, u.email FROM project_maintainer m"
	    " JOIN auth_user u ON u.id = m.user_id"
	    " WHERE m.project_id = $1 ORDER BY u.username", 1 },
	[ST_MAINT_ADD] = { "admin_maint_add",
	    "INSERT INTO project_maintainer (project_id, user_id)"
	    " VALUES ($1, $2)", 2 },
	[ST_MAINT_REMOVE] = { "admin_maint_remove",
	    "DELETE FROM project_maintainer"
	    " WHERE project_id = $1 AND user_id = $2", 2 },

	[ST_STATE_LIST] = { "admin_state_list",
	    "SELECT id, name, slug, ordering, action_required FROM state"
	    " ORDER BY ordering", 0 },
	[ST_STATE_CREATE] = { "admin_state_create",
	    "INSERT INTO state (name, slug, ordering, action_required)"
	    " VALUES ($1, $2, $3, $4::boolean) RETURNING id", 4 },
	[ST_STATE_UPDATE] = { "admin_state_update",
	    "UPDATE state SET"
	    " name = COALESCE($2, name),"
	    " slug = COALESCE($3, slug),"
	    " ordering = COALESCE($4::integer, ordering),"
	    " action_required = COALESCE($5::boolean, action_required)"
	    " WHERE slug = $1 RETURNING id", 5 },
	[ST_STATE_DELETE] = { "admin_state_delete",
	    "DELETE FROM state WHERE slug = $1", 1 },

	[ST_TAG_LIST] = { "admin_tag_list",
	    "SELECT id, name, abbrev, pattern, show_column FROM tag"
	    " ORDER BY abbrev", 0 },
	[ST_TAG_BY_NAME] = { "admin_tag_by_name",
	    "SELECT id FROM tag WHERE name = $1", 1 },
	[ST_TAG_BY_ABBREV] = { "admin_tag_by_abbrev",
	    "SELECT id FROM tag WHERE abbrev = $1", 1 },
	[ST_TAG_CREATE] = { "admin_tag_create",
	    "INSERT INTO tag (name, pattern, abbrev, show_column)"
	    " VALUES ($1, $2, $3, $4::boolean) RETURNING id", 4 },
	[ST_TAG_UPDATE] = { "admin_tag_update",
	    "UPDATE tag SET"
	    " name = COALESCE($2, name),"
	    " pattern = COALESCE($3, pattern),"
	    " abbrev = COALESCE($4, abbrev),"
	    " show_column = COALESCE($5::boolean, show_column)"
	    " WHERE id = $1", 5 },
	[ST_TAG_DELETE] = { "admin_tag_delete",
	    "DELETE FROM tag WHERE id = $1", 1 },

	[ST_RULE_LIST] = { "admin_rule_list",
	    "SELECT r.id, r.path, r.priority, u.username"
	    " FROM delegation_rule r JOIN auth_user u ON u.id = r.user_id"
	    " WHERE r.project_id = $1 ORDER BY r.priority DESC, r.path", 1 },
	[ST_RULE_CREATE] = { "admin_rule_create",
	    "INSERT INTO delegation_rule (project_id, user_id, path, priority)"
	    " VALUES ($1, $2, $3, $4) RETURNING id", 4 },
	[ST_RULE_DELETE_ID] = { "admin_rule_delete_id",
	    "DELETE FROM delegation_rule WHERE id = $1", 1 },
	[ST_RULE_DELETE_PATH] = { "admin_rule_delete_path",
	    "DELETE FROM delegation_rule WHERE project_id = $1 AND path = $2",
	    2 },
};

/* Option values ------------------------------------------------------ */

/*
 * Every command's options are data: a table of struct optdef, parsed by
 * one getopt_long loop into v[slot] (the argument, or the optdef's fixed
 * value for a flag such as --admin/--no-admin).  Options may come before
 * or after the command's arguments.
 */
enum slot {
	SL_FORCE,
	SL_PASSWORD_STDIN,
	SL_NO_PASSWORD,
	SL_USERNAME,
	SL_EMAIL,
	SL_ADMIN,
	SL_ACTIVE,
	SL_FIRST_NAME,
	SL_LAST_NAME,
	SL_NAME,
	SL_SLUG,
	SL_ORDERING,
	SL_ACTION_REQUIRED,
	SL_PATTERN,
	SL_ABBREV,
	SL_SHOW_COLUMN,
	SL_PROJECT,
	SL_USER,
	SL_PATH,
	SL_PRIORITY,
	SL_PF,			/* + enum pfield */
	SL__MAX = SL_PF + PF__MAX
};

struct optdef {
	const char	*name;		/* long option */
	int		 shortopt;	/* or 0 */
	enum slot	 slot;
	const char	*value;		/* flag: stored value; NULL: argument */
	int		 required;
};

typedef int (*command_fn)(struct cmd *, const char *const *v,
    char **args, int nargs);

struct command {
	const char		*object;
	const char		*verb;
	command_fn		 fn;
	int			 minargs, maxargs;
	const struct optdef	*opts;
	const char		*synopsis;	/* after "pw admin OBJ VERB" */
	const char		*help;
};

/* Project fields: option and `show` key, and whether boolean. */
static const struct {
	const char	*key;
	int		 is_bool;
} pfields[PF__MAX] = {
	[PF_NAME] = { "name", 0 },
	[PF_LINKNAME] = { "linkname", 0 },
	[PF_LISTID] = { "list-id", 0 },
	[PF_LISTEMAIL] = { "list-email", 0 },
	[PF_WEB_URL] = { "web-url", 0 },
	[PF_SCM_URL] = { "scm-url", 0 },
	[PF_WEBSCM_URL] = { "webscm-url", 0 },
	[PF_LIST_ARCHIVE_URL] = { "list-archive-url", 0 },
	[PF_LIST_ARCHIVE_URL_FORMAT] = { "list-archive-url-format", 0 },
	[PF_COMMIT_URL_FORMAT] = { "commit-url-format", 0 },
	[PF_SUBJECT_MATCH] = { "subject-match", 0 },
	[PF_SEND_NOTIFICATIONS] = { "send-notifications", 1 },
	[PF_USE_TAGS] = { "use-tags", 1 },
	[PF_SHOW_DEPENDENCIES] = { "show-dependencies", 1 },
	[PF_AUTO_SUPERSEDE] = { "auto-supersede", 1 },
	[PF_NAV_HTML] = { "nav-html", 0 },
};

#define FORCE_OPTS \
	{ "force", 'f', SL_FORCE, "true", 0 }, \
	{ "yes", 'y', SL_FORCE, "true", 0 }

#define PROJECT_OPTS(req) \
	{ "name", 'n', SL_PF + PF_NAME, NULL, req }, \
	{ "linkname", 'l', SL_PF + PF_LINKNAME, NULL, req }, \
	{ "list-id", 'i', SL_PF + PF_LISTID, NULL, req }, \
	{ "list-email", 'e', SL_PF + PF_LISTEMAIL, NULL, req }, \
	{ "web-url", 0, SL_PF + PF_WEB_URL, NULL, 0 }, \
	{ "scm-url", 0, SL_PF + PF_SCM_URL, NULL, 0 }, \
	{ "webscm-url", 0, SL_PF + PF_WEBSCM_URL, NULL, 0 }, \
	{ "list-archive-url", 0, SL_PF + PF_LIST_ARCHIVE_URL, NULL, 0 }, \
	{ "list-archive-url-format", 0, SL_PF + PF_LIST_ARCHIVE_URL_FORMAT, \
	    NULL, 0 }, \
	{ "commit-url-format", 0, SL_PF + PF_COMMIT_URL_FORMAT, NULL, 0 }, \
	{ "subject-match", 0, SL_PF + PF_SUBJECT_MATCH, NULL, 0 }, \
	{ "send-notifications", 0, SL_PF + PF_SEND_NOTIFICATIONS, "true", 0 }, \
	{ "no-send-notifications", 0, SL_PF + PF_SEND_NOTIFICATIONS, \
	    "false", 0 }, \
	{ "use-tags", 0, SL_PF + PF_USE_TAGS, "true", 0 }, \
	{ "no-use-tags", 0, SL_PF + PF_USE_TAGS, "false", 0 }, \
	{ "show-dependencies", 0, SL_PF + PF_SHOW_DEPENDENCIES, "true", 0 }, \
	{ "no-show-dependencies", 0, SL_PF + PF_SHOW_DEPENDENCIES, "false", 0 }, \
	{ "auto-supersede", 0, SL_PF + PF_AUTO_SUPERSEDE, "true", 0 }, \
	{ "no-auto-supersede", 0, SL_PF + PF_AUTO_SUPERSEDE, "false", 0 }, \
	{ "nav-html", 0, SL_PF + PF_NAV_HTML, NULL, 0 }

static const struct optdef no_opts[] = { { NULL, 0, 0, NULL, 0 } };
static const struct optdef force_opts[] = { FORCE_OPTS, { NULL, 0, 0, NULL, 0 } };
static const struct optdef project_create_opts[] = {
	PROJECT_OPTS(1), { NULL, 0, 0, NULL, 0 } };
static const struct optdef project_update_opts[] = {
	PROJECT_OPTS(0), { NULL, 0, 0, NULL, 0 } };
static const struct optdef user_create_opts[] = {
	{ "username", 'u', SL_USERNAME, NULL, 1 },
	{ "email", 'e', SL_EMAIL, NULL, 1 },
	{ "admin", 0, SL_ADMIN, "true", 0 },
	{ "first-name", 0, SL_FIRST_NAME, NULL, 0 },
	{ "last-name", 0, SL_LAST_NAME, NULL, 0 },
	{ "password-stdin", 0, SL_PASSWORD_STDIN, "true", 0 },
	{ "no-password", 0, SL_NO_PASSWORD, "true", 0 },
	{ NULL, 0, 0, NULL, 0 } };
static const struct optdef user_update_opts[] = {
	{ "email", 'e', SL_EMAIL, NULL, 0 },
	{ "first-name", 0, SL_FIRST_NAME, NULL, 0 },
	{ "last-name", 0, SL_LAST_NAME, NULL, 0 },
	{ "admin", 0, SL_ADMIN, "true", 0 },
	{ "no-admin", 0, SL_ADMIN, "false", 0 },
	{ "active", 0, SL_ACTIVE, "true", 0 },
	{ "inactive", 0, SL_ACTIVE, "false", 0 },
	{ NULL, 0, 0, NULL, 0 } };
static const struct optdef passwd_opts[] = {
	{ "password-stdin", 0, SL_PASSWORD_STDIN, "true", 0 },
	{ "no-password", 0, SL_NO_PASSWORD, "true", 0 },
	{ NULL, 0, 0, NULL, 0 } };
#define STATE_OPTS(req) \
	{ "name", 'n', SL_NAME, NULL, req }, \
	{ "slug", 's', SL_SLUG, NULL, req }, \
	{ "ordering", 'o', SL_ORDERING, NULL, req }, \
	{ "action-required", 0, SL_ACTION_REQUIRED, "true", 0 }, \
	{ "no-action-required", 0, SL_ACTION_REQUIRED, "false", 0 }
static const struct optdef state_create_opts[] = {
	STATE_OPTS(1), { NULL, 0, 0, NULL, 0 } };
static const struct optdef state_update_opts[] = {
	STATE_OPTS(0), { NULL, 0, 0, NULL, 0 } };
#define TAG_OPTS(req) \
	{ "name", 'n', SL_NAME, NULL, req }, \
	{ "pattern", 'p', SL_PATTERN, NULL, req }, \
	{ "abbrev", 'a', SL_ABBREV, NULL, req }, \
	{ "show-column", 0, SL_SHOW_COLUMN, "true", 0 }, \
	{ "no-show-column", 0, SL_SHOW_COLUMN, "false", 0 }
static const struct optdef tag_create_opts[] = {
	TAG_OPTS(1), { NULL, 0, 0, NULL, 0 } };
static const struct optdef tag_update_opts[] = {
	TAG_OPTS(0), { NULL, 0, 0, NULL, 0 } };
static const struct optdef rule_create_opts[] = {
	{ "project", 0, SL_PROJECT, NULL, 1 },
	{ "user", 0, SL_USER, NULL, 1 },
	{ "path", 0, SL_PATH, NULL, 1 },
	{ "priority", 0, SL_PRIORITY, NULL, 0 },
	{ NULL, 0, 0, NULL, 0 } };
static const struct optdef rule_delete_opts[] = {
	{ "project", 0, SL_PROJECT, NULL, 0 },
	{ "path", 0, SL_PATH, NULL, 0 },
	FORCE_OPTS,
	{ NULL, 0, 0, NULL, 0 } };

static void
usage_line(FILE *f, const struct command *c)
{
	fprintf(f, "pw admin %s %s%s%s\n", c->object, c->verb,
	    *c->synopsis ? " " : "", c->synopsis);
}

static int
usage_of(const struct command *c, FILE *f, int status)
{
	fputs("usage: ", f);
	usage_line(f, c);
	fprintf(f, "%s\n", c->help);
	return status;
}

/* Parse argv (argv[0] is the verb); 0 with *rest set, or EX_USAGE. */
static int
parse_options(const struct command *c, int argc, char *argv[],
    const char *v[SL__MAX], int *rest)
{
	struct option lo[48];
	char shorts[64], *sp = shorts;
	const struct optdef *d;
	int n = 0, ch, i;

	*sp++ = 'h';
	for (d = c->opts; d->name != NULL; d++, n++) {
		if (n + 2 >= (int)(sizeof(lo) / sizeof(lo[0])) ||
		    sp + 3 >= shorts + sizeof(shorts))
			abort();	/* a table outgrew the arrays */
		lo[n] = (struct option){ d->name,
		    d->value ? no_argument : required_argument, NULL,
		    0x100 + n };
		if (d->shortopt) {
			*sp++ = (char)d->shortopt;
			if (d->value == NULL)
				*sp++ = ':';
		}
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	*sp = '\0';

	for (i = 0; i < SL__MAX; i++)
		v[i] = NULL;
	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == 'h') {
			usage_of(c, stdout, 0);
			exit(0);
		}
		if (ch >= 0x100)
			d = &c->opts[ch - 0x100];
		else
			for (d = c->opts; d->name != NULL; d++)
				if (d->shortopt == ch)
					break;
		if (d->name == NULL)
			return usage_of(c, stderr, EX_USAGE);
		v[d->slot] = d->value ? d->value : optarg;
	}
	for (d = c->opts; d->name != NULL; d++)
		if (d->required && v[d->slot] == NULL) {
			fprintf(stderr, "pw admin %s %s: --%s is required\n",
			    c->object, c->verb, d->name);
			return usage_of(c, stderr, EX_USAGE);
		}
	if (argc - optind < c->minargs || argc - optind > c->maxargs)
		return usage_of(c, stderr, EX_USAGE);
	*rest = optind;
	return 0;
}

static int
any_option(const char *const *v)
{
	int i;

	for (i = 0; i < SL__MAX; i++)
		if (i != SL_FORCE && v[i] != NULL)
			return 1;
	return 0;
}

static int
is_true(const char *s)
{
	return s != NULL && strcmp(s, "true") == 0;
}

/* Errors ------------------------------------------------------------- */

static int
fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, 0, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * The exit status for a failed statement (75, 65 or 70).  db.c has
 * logged the server's message, except for duplicates (debug level):
 * callers say which key.
 */
static int
db_status(const struct cmd *a)
{
	return cmd_db_status(&a->db);
}

/* Does the duplicate key the server reported involve column col? */
static int
dup_on(const struct cmd *a, const char *col)
{
	char key[64];

	snprintf(key, sizeof(key), "(%s)", col);
	if (a->db.errmsg != NULL && strstr(a->db.errmsg, key) != NULL)
		return 1;
	snprintf(key, sizeof(key), "(%s,", col);
	if (a->db.errmsg != NULL && strstr(a->db.errmsg, key) != NULL)
		return 1;
	snprintf(key, sizeof(key), " %s)", col);
	return a->db.errmsg != NULL && strstr(a->db.errmsg, key) != NULL;
}

/* A foreign-key violation (the row is still referenced)? */
static int
in_use(const struct cmd *a)
{
	return strcmp(a->db.sqlstate, "23503") == 0;
}

/* Output ------------------------------------------------------------- */

/* A value on one line: control characters become '?'. */
static void
put_value(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/*
 * Row i of r as one tab-separated line of n columns; the columns whose
 * bit is set in bools are booleans, printed yes/no.
 */
static void
put_row(const struct dbres *r, int i, int n, unsigned bools)
{
	int c;

	for (c = 0; c < n; c++) {
		if (c > 0)
			putchar('\t');
		if (bools & (1u << c))
			fputs(dbres_bool(r, i, c) ? "yes" : "no", stdout);
		else
			put_value(dbres_str(r, i, c));
	}
	putchar('\n');
}

static int
put_rows(struct cmd *a, struct dbres *r, int n, unsigned bools)
{
	int i;

	if (r == NULL)
		return db_status(a);
	for (i = 0; i < dbres_rows(r); i++)
		put_row(r, i, n, bools);
	dbres_free(r);
	return 0;
}

static void
put_field(const char *key, const char *value)
{
	printf("%s: ", key);
	put_value(value);
	putchar('\n');
}

static const char *
yesno(int b)
{
	return b ? "yes" : "no";
}

/* Validation --------------------------------------------------------- */

/*
 * Django's validate_unicode_slug: letters, digits, '-' and '_'; bytes
 * above 0x7f pass (UTF-8 letters; the server rejects invalid UTF-8).
 */
static int
valid_slug(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    (unsigned char)*s >= 0x80))
			return 0;
	return 1;
}

/* Django's username validator: letters, digits and @ . + - _ */
static int
valid_username(const char *s)
{
	if (*s == '\0' || strlen(s) > 150)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("@.+-_", *s) != NULL ||
		    (unsigned char)*s >= 0x80))
			return 0;
	return 1;
}

/* Loose: one '@' with something on both sides, no space or control. */
static int
valid_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int
has_ctl(const char *s)
{
	for (; s != NULL && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Does re compile as PCRE2 with the flags ingest matches with? */
static int
valid_regex(const char *re, char *why, size_t whylen)
{
	pcre2_code *code;
	PCRE2_SIZE off;
	int err;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_UTF, &err, &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(err, (PCRE2_UCHAR *)why, whylen);
		return 0;
	}
	pcre2_code_free(code);
	return 1;
}

/* A decimal integer in [lo, hi]: 0, or -1. */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Prompts ------------------------------------------------------------ */

static struct termios tty_saved;
static volatile sig_atomic_t tty_echo_off;

static void
tty_restore(int sig)
{
	if (tty_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * One line from f without its newline (and a CR before it), malloc()ed;
 * NULL at end of file before any byte or on a read error.  *toolong is
 * set (and the line wiped) when it has more than max bytes.
 */
static char *
read_line(FILE *f, size_t max, int *toolong)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	*toolong = 0;
	n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if ((size_t)n > max) {
		explicit_bzero(line, (size_t)n);
		*toolong = 1;
	}
	return line;
}

/* Ask on the terminal (stdin) without echo. */
static char *
prompt_password(const char *prompt, int *toolong)
{
	struct termios t;
	char *pw;

	if (tcgetattr(STDIN_FILENO, &tty_saved) == -1)
		return NULL;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_lflag |= ECHONL;
	signal(SIGINT, tty_restore);
	signal(SIGTERM, tty_restore);
	signal(SIGHUP, tty_restore);
	signal(SIGQUIT, tty_restore);
	tty_echo_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == -1) {
		tty_echo_off = 0;
		return NULL;
	}
	/* Prompt once echo is off and typeahead is gone (as getpass). */
	fputs(prompt, stderr);
	fflush(stderr);
	pw = read_line(stdin, PASSWORD_MAX, toolong);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
	tty_echo_off = 0;
	return pw;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/*
 * The new password of user: stdin's first line with --password-stdin,
 * else asked twice on the terminal.  0 with *out set (free_secret() it),
 * or an exit status.
 */
static int
get_password(const char *user, int from_stdin, char **out)
{
	char *pw = NULL, *again = NULL;
	int toolong = 0, rc;

	*out = NULL;
	if (from_stdin) {
		pw = read_line(stdin, PASSWORD_MAX, &toolong);
		if (pw == NULL)
			return fail(ferror(stdin) ? EX_IOERR : EX_DATAERR,
			    "user '%s': no password on standard input", user);
	} else {
		if (!isatty(STDIN_FILENO))
			return fail(EX_USAGE, "user '%s': standard input is "
			    "not a terminal: give the password with "
			    "--password-stdin", user);
		pw = prompt_password("Password: ", &toolong);
		if (pw == NULL)
			return fail(EX_IOERR, "user '%s': cannot read the "
			    "password", user);
		if (!toolong && *pw != '\0') {
			again = prompt_password("Password (again): ", &toolong);
			if (again == NULL) {
				free_secret(pw);
				return fail(EX_IOERR, "user '%s': cannot read "
				    "the password", user);
			}
			if (strcmp(pw, again) != 0) {
				rc = fail(EX_DATAERR, "user '%s': the "
				    "passwords do not match", user);
				goto out;
			}
		}
	}
	if (toolong) {
		rc = fail(EX_DATAERR, "user '%s': password longer than %d "
		    "bytes", user, PASSWORD_MAX);
		goto out;
	}
	if (*pw == '\0') {
		rc = fail(EX_DATAERR, "user '%s': empty password", user);
		goto out;
	}
	*out = pw;
	pw = NULL;
	rc = 0;
out:
	free_secret(pw);
	free_secret(again);
	return rc;
}

/* Ask on stderr, read a line from stdin: 1 for "y" or "yes". */
static int
confirm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
confirm(const char *fmt, ...)
{
	va_list ap;
	char *line;
	int toolong, yes;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	fflush(stderr);
	line = read_line(stdin, 16, &toolong);
	yes = line != NULL && !toolong &&
	    (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0);
	if (line == NULL)
		fputc('\n', stderr);
	free(line);
	return yes;
}

/* Lookups ------------------------------------------------------------ */

/* The id of what named name: 0 with *id set, or an exit status. */
static int
lookup(struct cmd *a, enum stmt st, const char *what, const char *name,
    int64_t *id)
{
	struct dbres *r;
	int rc = 0;

	r = db_run(&a->db, &stmts[st], DB_STR(name));
	if (r == NULL)
		return db_status(a);
	if (dbres_rows(r) == 0)
		rc = fail(EX_NOUSER, "%s '%s' does not exist", what, name);
	else
		*id = dbres_i64(r, 0, 0);
	dbres_free(r);
	return rc;
}

static int
project_lookup(struct cmd *a, const char *linkname, int64_t *id)
{
	return lookup(a, ST_PROJECT_ID, "project", linkname, id);
}

static int
user_lookup(struct cmd *a, const char *username, int64_t *id)
{
	return lookup(a, ST_USER_ID, "user", username, id);
}

/*
 * A tag by name, or else by abbreviation (which is unique): 0 with *id
 * set, or an exit status.
 */
static int
tag_lookup(struct cmd *a, const char *name, int64_t *id)
{
	struct dbres *r;
	int n;

	if ((r = db_run(&a->db, &stmts[ST_TAG_BY_NAME], DB_STR(name))) == NULL)
		return db_status(a);
	n = dbres_rows(r);
	if (n == 1)
		*id = dbres_i64(r, 0, 0);
	dbres_free(r);
	if (n > 1)
		return fail(EX_DATAERR, "tag '%s': %d tags have that name; "
		    "name it by its abbreviation", name, n);
	if (n == 1)
		return 0;
	return lookup(a, ST_TAG_BY_ABBREV, "tag", name, id);
}

/*
 * Run a DELETE given by st with one parameter, once confirmed (unless
 * --force): what and name describe the object.
 */
static int
delete_confirmed(struct cmd *a, const char *const *v, enum stmt st,
    struct dbparam p, const char *what, const char *name, const char *extra)
{
	struct dbres *r;
	int rc;

	if (!is_true(v[SL_FORCE]) &&
	    !confirm("Delete %s '%s'%s?", what, name, extra))
		return fail(EX_NOTCONFIRMED, "%s '%s' not deleted", what, name);
	if ((r = db_exec(&a->db, &stmts[st], &p, 1)) == NULL) {
		if (in_use(a))
			return fail(EX_DATAERR, "%s '%s' is still in use: "
			    "not deleted", what, name);
		return db_status(a);
	}
	rc = dbres_affected(r) == 0 ?
	    fail(EX_NOUSER, "%s '%s' does not exist", what, name) : 0;
	dbres_free(r);
	return rc;
}

/* Projects ----------------------------------------------------------- */

/* Check the values given; what names the project in messages. */
static int
project_validate(const char *what, const char *const *val)
{
	char why[256];
	int i;

	if (val[PF_NAME] != NULL && (*val[PF_NAME] == '\0' ||
	    has_ctl(val[PF_NAME])))
		return fail(EX_DATAERR, "project '%s': invalid name '%s'",
		    what, val[PF_NAME]);
	if (val[PF_LINKNAME] != NULL && !valid_slug(val[PF_LINKNAME]))
		return fail(EX_DATAERR, "project '%s': invalid linkname '%s': "
		    "use letters, digits, '-' and '_'", what, val[PF_LINKNAME]);
	if (val[PF_LISTEMAIL] != NULL && !valid_email(val[PF_LISTEMAIL]))
		return fail(EX_DATAERR, "project '%s': invalid list email '%s'",
		    what, val[PF_LISTEMAIL]);
	if (val[PF_SUBJECT_MATCH] != NULL &&
	    !valid_regex(val[PF_SUBJECT_MATCH], why, sizeof(why)))
		return fail(EX_DATAERR, "project '%s': subject match '%s' is "
		    "not a valid regular expression: %s", what,
		    val[PF_SUBJECT_MATCH], why);
	for (i = 0; i < PF__MAX; i++)
		if (i != PF_NAV_HTML && has_ctl(val[i]))
			return fail(EX_DATAERR, "project '%s': control "
			    "character in --%s", what, pfields[i].key);
	return 0;
}

static int
project_dup(struct cmd *a, const char *what, const char *const *val)
{
	if (dup_on(a, "linkname"))
		return fail(EX_DATAERR, "project '%s': linkname '%s' is "
		    "already in use", what, val[PF_LINKNAME]);
	if (dup_on(a, "name"))
		return fail(EX_DATAERR, "project '%s': name '%s' is already "
		    "in use", what, val[PF_NAME]);
	return fail(EX_DATAERR, "project '%s': another project has the "
	    "same list-id and subject match", what);
}

static int
project_list(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return put_rows(a, db_run0(&a->db, &stmts[ST_PROJECT_LIST]), 5, 0);
}

static int
project_show(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	int i;

	r = db_run(&a->db, &stmts[ST_PROJECT_SHOW], DB_STR(args[0]));
	if (r == NULL)
		return db_status(a);
	if (dbres_rows(r) == 0) {
		dbres_free(r);
		return fail(EX_NOUSER, "project '%s' does not exist", args[0]);
	}
	put_field("id", dbres_str(r, 0, PF__MAX));
	for (i = 0; i < PF__MAX; i++)
		put_field(pfields[i].key, pfields[i].is_bool ?
		    yesno(dbres_bool(r, 0, i)) : dbres_str(r, 0, i));
	dbres_free(r);
	return 0;
}

static int
project_create(struct cmd *a, const char *const *v, char **args, int nargs)
{
	static const char *const defaults[PF__MAX] = {
		[PF_SEND_NOTIFICATIONS] = "false",
		[PF_USE_TAGS] = "true",
		[PF_SHOW_DEPENDENCIES] = "false",
		[PF_AUTO_SUPERSEDE] = "false",
	};
	const char *const *val = v + SL_PF;
	struct dbparam p[PF__MAX];
	struct dbres *r;
	int i, rc;

	if ((rc = project_validate(val[PF_LINKNAME], val)) != 0)
		return rc;
	for (i = 0; i < PF__MAX; i++)
		p[i] = DB_STR(val[i] != NULL ? val[i] :
		    defaults[i] != NULL ? defaults[i] : "");
	r = db_exec(&a->db, &stmts[ST_PROJECT_CREATE], p, PF__MAX);
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ?
		    project_dup(a, val[PF_LINKNAME], val) : db_status(a);
	printf("%" PRId64 "\n", dbres_i64(r, 0, 0));
	dbres_free(r);
	return 0;
}

static int
project_update(struct cmd *a, const char *const *v, char **args, int nargs)
{
	const char *const *val = v + SL_PF;
	struct dbparam p[PF__MAX + 1];
	struct dbres *r;
	int i, rc;

	if (!any_option(v))
		return fail(EX_USAGE, "project '%s': nothing to change",
		    args[0]);
	if ((rc = project_validate(args[0], val)) != 0)
		return rc;
	p[0] = DB_STR(args[0]);
	for (i = 0; i < PF__MAX; i++)
		p[i + 1] = DB_STR(val[i]);
	r = db_exec(&a->db, &stmts[ST_PROJECT_UPDATE], p, PF__MAX + 1);
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ?
		    project_dup(a, args[0], val) : db_status(a);
	rc = dbres_rows(r) == 0 ?
	    fail(EX_NOUSER, "project '%s' does not exist", args[0]) : 0;
	dbres_free(r);
	return rc;
}

static int
project_delete(struct cmd *a, const char *const *v, char **args, int nargs)
{
	const char *name = args[0];
	struct dbres *r = NULL;
	int64_t id;
	int rc;

	if ((rc = project_lookup(a, name, &id)) != 0)
		return rc;
	if (!is_true(v[SL_FORCE]) && !confirm("Delete project '%s' with all "
	    "its patches, covers, series, comments, checks, bundles and "
	    "events?", name))
		return fail(EX_NOTCONFIRMED, "project '%s' not deleted", name);
	/*
	 * One statement: the database cascades to everything that hangs
	 * off the project, and nothing comes back here.  A big project can
	 * take minutes, so the configured statement timeout is lifted for
	 * this transaction only.
	 */
	if (db_begin(&a->db) == -1 ||
	    db_exec_script(&a->db, "SET LOCAL statement_timeout = 0") == -1 ||
	    (r = db_run(&a->db, &stmts[ST_PROJECT_DELETE], DB_I64(id))) == NULL)
		goto dberr;
	if (dbres_affected(r) == 0) {
		dbres_free(r);
		db_rollback(&a->db);
		return fail(EX_NOUSER, "project '%s' does not exist", name);
	}
	dbres_free(r);
	if (db_commit(&a->db) == -1)
		goto dberr;
	return 0;
dberr:
	rc = db_status(a);
	db_rollback(&a->db);
	return fail(rc, "project '%s' not deleted", name);
}

/* Users -------------------------------------------------------------- */

static int
user_validate(const char *name, const char *const *v)
{
	if (v[SL_EMAIL] != NULL && !valid_email(v[SL_EMAIL]))
		return fail(EX_DATAERR, "user '%s': invalid email '%s'", name,
		    v[SL_EMAIL]);
	if (has_ctl(v[SL_FIRST_NAME]) || has_ctl(v[SL_LAST_NAME]))
		return fail(EX_DATAERR, "user '%s': control character in a "
		    "name", name);
	return 0;
}

/* The stored password: a new hash, or an unusable one. */
static int
new_password(const char *name, const char *const *v, char **stored)
{
	char *pw;
	int rc;

	*stored = NULL;
	if (is_true(v[SL_NO_PASSWORD])) {
		if (is_true(v[SL_PASSWORD_STDIN]))
			return fail(EX_USAGE, "user '%s': --no-password and "
			    "--password-stdin exclude each other", name);
		*stored = auth_unusable_make();
	} else {
		if ((rc = get_password(name, is_true(v[SL_PASSWORD_STDIN]),
		    &pw)) != 0)
			return rc;
		*stored = auth_password_make(pw);
		free_secret(pw);
	}
	return *stored == NULL ? EX_SOFTWARE : 0;
}

static int
user_list(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return put_rows(a, db_run0(&a->db, &stmts[ST_USER_LIST]), 5,
	    1u << 3 | 1u << 4);
}

static int
user_show(struct cmd *a, const char *const *v, char **args, int nargs)
{
	static const char *const keys[] = { "id", "username", "email",
	    "first-name", "last-name" };
	struct dbres *r;
	const char *pw;
	size_t i;

	r = db_run(&a->db, &stmts[ST_USER_SHOW], DB_STR(args[0]));
	if (r == NULL)
		return db_status(a);
	if (dbres_rows(r) == 0) {
		dbres_free(r);
		return fail(EX_NOUSER, "user '%s' does not exist", args[0]);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_field(keys[i], dbres_str(r, 0, (int)i));
	put_field("active", yesno(dbres_bool(r, 0, 5)));
	put_field("admin", yesno(dbres_bool(r, 0, 6)));
	put_field("date-joined", dbres_str(r, 0, 7));
	put_field("last-login", dbres_str(r, 0, 8));
	pw = dbres_str(r, 0, 9);
	printf("password: %s%s\n", auth_kind_name(auth_kind(pw)),
	    auth_kind(pw) == AUTH_KIND_UNUSABLE || !auth_needs_rehash(pw) ?
	    "" : " (re-hashed at next login)");
	put_field("token", yesno(dbres_bool(r, 0, 10)));
	put_field("maintainer-of", dbres_str(r, 0, 11));
	dbres_free(r);
	return 0;
}

static int
user_create(struct cmd *a, const char *const *v, char **args, int nargs)
{
	const char *name = v[SL_USERNAME];
	char *stored = NULL;
	struct dbres *r;
	int rc;

	if (!valid_username(name))
		return fail(EX_DATAERR, "user '%s': invalid username: use at "
		    "most 150 letters, digits and @.+-_", name);
	if ((rc = user_validate(name, v)) != 0)
		return rc;
	if ((rc = new_password(name, v, &stored)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_USER_CREATE], DB_STR(name),
	    DB_STR(v[SL_EMAIL]), DB_STR(stored),
	    DB_STR(v[SL_FIRST_NAME] ? v[SL_FIRST_NAME] : ""),
	    DB_STR(v[SL_LAST_NAME] ? v[SL_LAST_NAME] : ""),
	    DB_STR(v[SL_ADMIN] ? v[SL_ADMIN] : "false"));
	free_secret(stored);
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ? fail(EX_DATAERR,
		    "user '%s' already exists", name) : db_status(a);
	printf("%" PRId64 "\n", dbres_i64(r, 0, 0));
	dbres_free(r);
	return 0;
}

static int
user_update(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	int rc;

	if (!any_option(v))
		return fail(EX_USAGE, "user '%s': nothing to change", args[0]);
	if ((rc = user_validate(args[0], v)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_USER_UPDATE], DB_STR(args[0]),
	    DB_STR(v[SL_EMAIL]), DB_STR(v[SL_FIRST_NAME]),
	    DB_STR(v[SL_LAST_NAME]), DB_STR(v[SL_ADMIN]),
	    DB_STR(v[SL_ACTIVE]));
	if (r == NULL)
		return db_status(a);
	rc = dbres_rows(r) == 0 ?
	    fail(EX_NOUSER, "user '%s' does not exist", args[0]) : 0;
	dbres_free(r);
	return rc;
}

static int
user_passwd(struct cmd *a, const char *const *v, char **args, int nargs)
{
	char *stored = NULL;
	struct dbres *r;
	int64_t id;
	int rc;

	/* Fail on an unknown user before asking for a password. */
	if ((rc = user_lookup(a, args[0], &id)) != 0)
		return rc;
	if ((rc = new_password(args[0], v, &stored)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_USER_PASSWD], DB_STR(args[0]),
	    DB_STR(stored));
	free_secret(stored);
	if (r == NULL)
		return db_status(a);
	rc = dbres_rows(r) == 0 ?
	    fail(EX_NOUSER, "user '%s' does not exist", args[0]) : 0;
	dbres_free(r);
	return rc;
}

static int
user_delete(struct cmd *a, const char *const *v, char **args, int nargs)
{
	int64_t id;
	int rc;

	if ((rc = user_lookup(a, args[0], &id)) != 0)
		return rc;
	return delete_confirmed(a, v, ST_USER_DELETE, DB_I64(id), "user",
	    args[0], " (patches delegated to them become undelegated; their "
	    "bundles and token go)");
}

/* Tokens ------------------------------------------------------------- */

/* Print user's token; a new one first if none (or always if replace). */
static int
token_put(struct cmd *a, const char *name, int create, int replace)
{
	char key[AUTH_TOKEN_LEN + 1];
	struct dbres *r;
	int64_t id;
	int rc;

	if ((rc = user_lookup(a, name, &id)) != 0)
		return rc;
	if (create) {
		if (auth_token_make(key) == -1)
			return EX_SOFTWARE;
		if (db_run_do(&a->db, &stmts[replace ? ST_TOKEN_REPLACE :
		    ST_TOKEN_ADD], DB_STR(key), DB_I64(id)) == -1)
			return db_status(a);
	}
	if ((r = db_run(&a->db, &stmts[ST_TOKEN_GET], DB_I64(id))) == NULL)
		return db_status(a);
	if (dbres_rows(r) == 0)
		rc = fail(EX_NOUSER, "user '%s' has no API token", name);
	else
		printf("%s\n", dbres_str(r, 0, 0));
	dbres_free(r);
	return rc;
}

static int
user_token(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return token_put(a, args[0], 1, 0);
}

static int
token_create(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return token_put(a, args[0], 1, 1);
}

static int
token_show(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return token_put(a, args[0], 0, 0);
}

static int
token_revoke(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	int64_t id;
	int rc;

	if ((rc = user_lookup(a, args[0], &id)) != 0)
		return rc;
	if ((r = db_run(&a->db, &stmts[ST_TOKEN_REVOKE], DB_I64(id))) == NULL)
		return db_status(a);
	rc = dbres_affected(r) == 0 ?
	    fail(EX_NOUSER, "user '%s' has no API token", args[0]) : 0;
	dbres_free(r);
	return rc;
}

/* Maintainers -------------------------------------------------------- */

static int
maintainer_list(struct cmd *a, const char *const *v, char **args,
    int nargs)
{
	int64_t pid;
	int rc;

	if ((rc = project_lookup(a, args[0], &pid)) != 0)
		return rc;
	return put_rows(a, db_run(&a->db, &stmts[ST_MAINT_LIST],
	    DB_I64(pid)), 2, 0);
}

static int
maintainer_change(struct cmd *a, char **args, int add)
{
	struct dbres *r;
	int64_t pid, uid;
	int rc;

	if ((rc = project_lookup(a, args[0], &pid)) != 0 ||
	    (rc = user_lookup(a, args[1], &uid)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[add ? ST_MAINT_ADD : ST_MAINT_REMOVE],
	    DB_I64(pid), DB_I64(uid));
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ? fail(EX_DATAERR,
		    "user '%s' is already a maintainer of '%s'", args[1],
		    args[0]) : db_status(a);
	rc = !add && dbres_affected(r) == 0 ? fail(EX_NOUSER,
	    "user '%s' is not a maintainer of '%s'", args[1], args[0]) : 0;
	dbres_free(r);
	return rc;
}

static int
maintainer_add(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return maintainer_change(a, args, 1);
}

static int
maintainer_remove(struct cmd *a, const char *const *v, char **args,
    int nargs)
{
	return maintainer_change(a, args, 0);
}

/* States ------------------------------------------------------------- */

static int
state_check(const char *name, const char *const *v, long *ordering)
{
	if (v[SL_NAME] != NULL && (*v[SL_NAME] == '\0' || has_ctl(v[SL_NAME])))
		return fail(EX_DATAERR, "state '%s': invalid name '%s'", name,
		    v[SL_NAME]);
	if (v[SL_SLUG] != NULL && !valid_slug(v[SL_SLUG]))
		return fail(EX_DATAERR, "state '%s': invalid slug '%s': use "
		    "letters, digits, '-' and '_'", name, v[SL_SLUG]);
	if (v[SL_ORDERING] != NULL &&
	    parse_int(v[SL_ORDERING], INT_MIN, INT_MAX, ordering) == -1)
		return fail(EX_USAGE, "state '%s': --ordering wants an "
		    "integer, not '%s'", name, v[SL_ORDERING]);
	return 0;
}

static int
state_dup(struct cmd *a, const char *name, const char *const *v)
{
	if (dup_on(a, "slug"))
		return fail(EX_DATAERR, "state '%s': slug '%s' is already in "
		    "use", name, v[SL_SLUG]);
	if (dup_on(a, "ordering"))
		return fail(EX_DATAERR, "state '%s': ordering %s is already "
		    "in use", name, v[SL_ORDERING]);
	return fail(EX_DATAERR, "state '%s': name '%s' is already in use",
	    name, v[SL_NAME]);
}

static int
state_list(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return put_rows(a, db_run0(&a->db, &stmts[ST_STATE_LIST]), 5, 1u << 4);
}

static int
state_create(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	long ordering = 0;
	int rc;

	if ((rc = state_check(v[SL_SLUG], v, &ordering)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_STATE_CREATE], DB_STR(v[SL_NAME]),
	    DB_STR(v[SL_SLUG]), DB_I64(ordering),
	    DB_STR(v[SL_ACTION_REQUIRED] ? v[SL_ACTION_REQUIRED] : "false"));
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ?
		    state_dup(a, v[SL_SLUG], v) : db_status(a);
	printf("%" PRId64 "\n", dbres_i64(r, 0, 0));
	dbres_free(r);
	return 0;
}

static int
state_update(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	long ordering = 0;
	int rc;

	if (!any_option(v))
		return fail(EX_USAGE, "state '%s': nothing to change", args[0]);
	if ((rc = state_check(args[0], v, &ordering)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_STATE_UPDATE], DB_STR(args[0]),
	    DB_STR(v[SL_NAME]), DB_STR(v[SL_SLUG]),
	    v[SL_ORDERING] ? DB_I64(ordering) : DB_NULL,
	    DB_STR(v[SL_ACTION_REQUIRED]));
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ?
		    state_dup(a, args[0], v) : db_status(a);
	rc = dbres_rows(r) == 0 ?
	    fail(EX_NOUSER, "state '%s' does not exist", args[0]) : 0;
	dbres_free(r);
	return rc;
}

static int
state_delete(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return delete_confirmed(a, v, ST_STATE_DELETE, DB_STR(args[0]),
	    "state", args[0], "");
}

/* Tags --------------------------------------------------------------- */

static int
tag_check(const char *name, const char *const *v)
{
	char why[256];

	if (v[SL_NAME] != NULL && (*v[SL_NAME] == '\0' || has_ctl(v[SL_NAME])))
		return fail(EX_DATAERR, "tag '%s': invalid name '%s'", name,
		    v[SL_NAME]);
	if (v[SL_ABBREV] != NULL && (*v[SL_ABBREV] == '\0' ||
	    has_ctl(v[SL_ABBREV])))
		return fail(EX_DATAERR, "tag '%s': invalid abbreviation '%s'",
		    name, v[SL_ABBREV]);
	if (v[SL_PATTERN] != NULL && (*v[SL_PATTERN] == '\0' ||
	    !valid_regex(v[SL_PATTERN], why, sizeof(why))))
		return fail(EX_DATAERR, "tag '%s': pattern '%s' is not a valid "
		    "regular expression: %s", name, v[SL_PATTERN],
		    *v[SL_PATTERN] ? why : "empty");
	return 0;
}

static int
tag_list(struct cmd *a, const char *const *v, char **args, int nargs)
{
	return put_rows(a, db_run0(&a->db, &stmts[ST_TAG_LIST]), 5, 1u << 4);
}

static int
tag_create(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	int rc;

	if ((rc = tag_check(v[SL_NAME], v)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_TAG_CREATE], DB_STR(v[SL_NAME]),
	    DB_STR(v[SL_PATTERN]), DB_STR(v[SL_ABBREV]),
	    DB_STR(v[SL_SHOW_COLUMN] ? v[SL_SHOW_COLUMN] : "true"));
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ? fail(EX_DATAERR,
		    "tag '%s': abbreviation '%s' is already in use",
		    v[SL_NAME], v[SL_ABBREV]) : db_status(a);
	printf("%" PRId64 "\n", dbres_i64(r, 0, 0));
	dbres_free(r);
	return 0;
}

static int
tag_update(struct cmd *a, const char *const *v, char **args, int nargs)
{
	int64_t id;
	int rc;

	if (!any_option(v))
		return fail(EX_USAGE, "tag '%s': nothing to change", args[0]);
	if ((rc = tag_check(args[0], v)) != 0 ||
	    (rc = tag_lookup(a, args[0], &id)) != 0)
		return rc;
	if (db_run_do(&a->db, &stmts[ST_TAG_UPDATE], DB_I64(id),
	    DB_STR(v[SL_NAME]), DB_STR(v[SL_PATTERN]), DB_STR(v[SL_ABBREV]),
	    DB_STR(v[SL_SHOW_COLUMN])) == -1)
		return a->db.err == DB_DUPLICATE ? fail(EX_DATAERR,
		    "tag '%s': abbreviation '%s' is already in use", args[0],
		    v[SL_ABBREV]) : db_status(a);
	return 0;
}

static int
tag_delete(struct cmd *a, const char *const *v, char **args, int nargs)
{
	int64_t id;
	int rc;

	if ((rc = tag_lookup(a, args[0], &id)) != 0)
		return rc;
	return delete_confirmed(a, v, ST_TAG_DELETE, DB_I64(id), "tag",
	    args[0], " (and its counts on every patch)");
}

/* Delegation rules --------------------------------------------------- */

static int
rule_list(struct cmd *a, const char *const *v, char **args, int nargs)
{
	int64_t pid;
	int rc;

	if ((rc = project_lookup(a, args[0], &pid)) != 0)
		return rc;
	return put_rows(a, db_run(&a->db, &stmts[ST_RULE_LIST], DB_I64(pid)),
	    4, 0);
}

static int
rule_create(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	int64_t pid, uid;
	long prio = 0;
	int rc;

	if (v[SL_PRIORITY] != NULL &&
	    parse_int(v[SL_PRIORITY], INT_MIN, INT_MAX, &prio) == -1)
		return fail(EX_USAGE, "delegation rule '%s': --priority wants "
		    "an integer, not '%s'", v[SL_PATH], v[SL_PRIORITY]);
	if (*v[SL_PATH] == '\0' || has_ctl(v[SL_PATH]))
		return fail(EX_DATAERR, "delegation rule: invalid path "
		    "pattern '%s'", v[SL_PATH]);
	if ((rc = project_lookup(a, v[SL_PROJECT], &pid)) != 0 ||
	    (rc = user_lookup(a, v[SL_USER], &uid)) != 0)
		return rc;
	r = db_run(&a->db, &stmts[ST_RULE_CREATE], DB_I64(pid), DB_I64(uid),
	    DB_STR(v[SL_PATH]), DB_I64(prio));
	if (r == NULL)
		return a->db.err == DB_DUPLICATE ? fail(EX_DATAERR,
		    "delegation rule '%s': project '%s' already has a rule "
		    "for that path", v[SL_PATH], v[SL_PROJECT]) : db_status(a);
	printf("%" PRId64 "\n", dbres_i64(r, 0, 0));
	dbres_free(r);
	return 0;
}

static int
rule_delete(struct cmd *a, const char *const *v, char **args, int nargs)
{
	struct dbres *r;
	char what[64];
	int64_t pid;
	long id;
	int rc;

	if (nargs == 1) {
		if (v[SL_PROJECT] != NULL || v[SL_PATH] != NULL)
			return fail(EX_USAGE, "delegate-rule delete: give an "
			    "ID or --project and --path, not both");
		if (parse_int(args[0], 1, LONG_MAX, &id) == -1)
			return fail(EX_USAGE, "delegate-rule delete: '%s' is "
			    "not a rule ID", args[0]);
		snprintf(what, sizeof(what), "%ld", id);
		return delete_confirmed(a, v, ST_RULE_DELETE_ID, DB_I64(id),
		    "delegation rule", what, "");
	}
	if (v[SL_PROJECT] == NULL || v[SL_PATH] == NULL)
		return fail(EX_USAGE, "delegate-rule delete: give an ID, or "
		    "--project and --path");
	if ((rc = project_lookup(a, v[SL_PROJECT], &pid)) != 0)
		return rc;
	if (!is_true(v[SL_FORCE]) && !confirm("Delete the delegation rule "
	    "for '%s' in project '%s'?", v[SL_PATH], v[SL_PROJECT]))
		return fail(EX_NOTCONFIRMED, "delegation rule '%s' not deleted",
		    v[SL_PATH]);
	r = db_run(&a->db, &stmts[ST_RULE_DELETE_PATH], DB_I64(pid),
	    DB_STR(v[SL_PATH]));
	if (r == NULL)
		return db_status(a);
	rc = dbres_affected(r) == 0 ? fail(EX_NOUSER, "project '%s' has no "
	    "delegation rule for '%s'", v[SL_PROJECT], v[SL_PATH]) : 0;
	dbres_free(r);
	return rc;
}

/* Dispatch ----------------------------------------------------------- */

static const struct command commands[] = {
	{ "project", "list", project_list, 0, 0, no_opts, "",
	    "List projects: id, linkname, name, list-id, list-email." },
	{ "project", "show", project_show, 1, 1, no_opts, "LINKNAME",
	    "Show every field of a project." },
	{ "project", "create", project_create, 0, 0, project_create_opts,
	    "-n NAME -l LINKNAME -i LIST-ID -e LIST-EMAIL [--web-url URL]\n"
	    "\t[--scm-url URL] [--webscm-url URL] [--list-archive-url URL]\n"
	    "\t[--list-archive-url-format FMT] [--commit-url-format FMT]\n"
	    "\t[--subject-match REGEX] [--[no-]send-notifications]\n"
	    "\t[--[no-]use-tags] [--[no-]show-dependencies]\n"
	    "\t[--[no-]auto-supersede] [--nav-html HTML]",
	    "Create a project; prints its id." },
	{ "project", "update", project_update, 1, 1, project_update_opts,
	    "LINKNAME [-n NAME] [-l NEW-LINKNAME] [-i LIST-ID] [-e LIST-EMAIL]\n"
	    "\t[any option of project create]",
	    "Change the fields given; an empty value clears a URL." },
	{ "project", "delete", project_delete, 1, 1, force_opts,
	    "[-f] LINKNAME",
	    "Delete a project and everything in it (asks unless -f)." },

	{ "user", "list", user_list, 0, 0, no_opts, "",
	    "List users: id, username, email, active, admin." },
	{ "user", "show", user_show, 1, 1, no_opts, "USERNAME",
	    "Show a user (the password's hash family, never the hash)." },
	{ "user", "create", user_create, 0, 0, user_create_opts,
	    "-u USERNAME -e EMAIL [--admin] [--first-name NAME]\n"
	    "\t[--last-name NAME] [--password-stdin | --no-password]",
	    "Create a user; the password is asked twice, or read from "
	    "stdin;\nprints the new id." },
	{ "user", "update", user_update, 1, 1, user_update_opts,
	    "USERNAME [-e EMAIL] [--first-name NAME] [--last-name NAME]\n"
	    "\t[--admin | --no-admin] [--active | --inactive]",
	    "Change a user's fields." },
	{ "user", "passwd", user_passwd, 1, 1, passwd_opts,
	    "USERNAME [--password-stdin | --no-password]",
	    "Set a user's password." },
	{ "user", "delete", user_delete, 1, 1, force_opts, "[-f] USERNAME",
	    "Delete a user (asks unless -f)." },
	{ "user", "token", user_token, 1, 1, no_opts, "USERNAME",
	    "Print the user's API token, creating one if needed." },

	{ "token", "create", token_create, 1, 1, no_opts, "USERNAME",
	    "Give the user a new API token (replacing any) and print it." },
	{ "token", "show", token_show, 1, 1, no_opts, "USERNAME",
	    "Print the user's API token." },
	{ "token", "revoke", token_revoke, 1, 1, no_opts, "USERNAME",
	    "Delete the user's API token." },

	{ "maintainer", "list", maintainer_list, 1, 1, no_opts, "PROJECT",
	    "List a project's maintainers: username, email." },
	{ "maintainer", "add", maintainer_add, 2, 2, no_opts,
	    "PROJECT USERNAME", "Make a user maintainer of a project." },
	{ "maintainer", "remove", maintainer_remove, 2, 2, no_opts,
	    "PROJECT USERNAME", "Remove a maintainer from a project." },

	{ "state", "list", state_list, 0, 0, no_opts, "",
	    "List states: id, name, slug, ordering, action-required." },
	{ "state", "create", state_create, 0, 0, state_create_opts,
	    "-n NAME -s SLUG -o ORDERING [--action-required]",
	    "Create a state; prints its id." },
	{ "state", "update", state_update, 1, 1, state_update_opts,
	    "SLUG [-n NAME] [-s NEW-SLUG] [-o ORDERING]\n"
	    "\t[--action-required | --no-action-required]",
	    "Change a state." },
	{ "state", "delete", state_delete, 1, 1, force_opts, "[-f] SLUG",
	    "Delete a state no patch uses (asks unless -f)." },

	{ "tag", "list", tag_list, 0, 0, no_opts, "",
	    "List tags: id, name, abbrev, pattern, show-column." },
	{ "tag", "create", tag_create, 0, 0, tag_create_opts,
	    "-n NAME -p PATTERN -a ABBREV [--no-show-column]",
	    "Create a tag; prints its id." },
	{ "tag", "update", tag_update, 1, 1, tag_update_opts,
	    "NAME [-n NEW-NAME] [-p PATTERN] [-a ABBREV]\n"
	    "\t[--show-column | --no-show-column]",
	    "Change a tag, named by name or abbreviation." },
	{ "tag", "delete", tag_delete, 1, 1, force_opts, "[-f] NAME",
	    "Delete a tag, named by name or abbreviation (asks unless -f)." },

	{ "delegate-rule", "list", rule_list, 1, 1, no_opts, "PROJECT",
	    "List a project's delegation rules: id, path, priority, user,\n"
	    "highest priority first." },
	{ "delegate-rule", "create", rule_create, 0, 0, rule_create_opts,
	    "--project PROJECT --user USERNAME --path PATTERN [--priority N]",
	    "Delegate patches touching PATTERN to a user; prints the id." },
	{ "delegate-rule", "add", rule_create, 0, 0, rule_create_opts,
	    "--project PROJECT --user USERNAME --path PATTERN [--priority N]",
	    "Same as create." },
	{ "delegate-rule", "delete", rule_delete, 0, 1, rule_delete_opts,
	    "[-f] ID | [-f] --project PROJECT --path PATTERN",
	    "Delete a delegation rule (asks unless -f)." },
	{ "delegate-rule", "remove", rule_delete, 0, 1, rule_delete_opts,
	    "[-f] ID | [-f] --project PROJECT --path PATTERN",
	    "Same as delete." },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int
usage(FILE *f, const char *object, int status)
{
	size_t i;

	fputs("usage: pw admin [-c FILE] OBJECT VERB [OPTIONS] [ARGS]\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		if (object == NULL || strcmp(commands[i].object, object) == 0) {
			fputs("       ", f);
			usage_line(f, &commands[i]);
		}
	if (object == NULL)
		fputs("Each command takes -h for help.  See pw-admin(8).\n", f);
	return status;
}

CMD_DESCRIPTION("manage projects, users, tokens, maintainers, states, "
    "tags and delegation rules");

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *c = NULL;
	const char *v[SL__MAX];
	struct cmd a;
	size_t i;
	int ch, rc, rest = 0, known = 0;

	cmd_init(&a, "pw-admin");
	while ((ch = getopt_long(argc, argv, "+c:hvV", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.config = optarg;
			break;
		case 'h':
			return usage(stdout, NULL, 0);
		case 'v':
			a.verbose++;
			break;
		case 'V':
			printf("pw admin %s\n", PW_VERSION);
			return 0;
		default:
			return usage(stderr, NULL, EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr, NULL, EX_USAGE);
	if (strcmp(argv[0], "help") == 0)
		return usage(stdout, argc > 1 ? argv[1] : NULL, 0);
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].object, argv[0]) != 0)
			continue;
		known = 1;
		if (argc > 1 && strcmp(commands[i].verb, argv[1]) == 0)
			c = &commands[i];
	}
	if (c == NULL) {
		if (!known)
			errorx("unknown object '%s'", argv[0]);
		else if (argc > 1)
			errorx("%s: unknown command '%s'", argv[0], argv[1]);
		return usage(stderr, known ? argv[0] : NULL, EX_USAGE);
	}
	argc--;
	argv++;
	if ((rc = parse_options(c, argc, argv, v, &rest)) != 0)
		return rc;
	/* Exits 78 on a bad configuration or schema, 75 if unreachable. */
	cmd_connect(&a, 0);
	rc = c->fn(&a, v, argv + rest, argc - rest);
	cmd_release(&a);
	if (fflush(stdout) == EOF && rc == 0)
		rc = fail(EX_IOERR, "standard output: %s", strerror(errno));
	return rc;
}
