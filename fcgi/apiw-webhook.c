/*
 * /api/[v/]projects/{id}/webhooks/ and .../webhooks/{wid}/ (API 1.4 and
 * unversioned, REST spec 13.4, from the Go rewrite): a project's
 * maintainers register URLs that receive its events.
 *
 * Every method needs a maintainer of the project (anonymous 403, other
 * users 403); the project is named by id or linkname (404 when none); a
 * webhook of another project is a 404.  The secret is write-only.  The
 * deliveries themselves are the database's business (the trigger
 * webhook_enqueue() queues them) and pw-webhook's (which sends them).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "db.h"
#include "event.h"
#include "pwfcgi.h"
#include "api.h"

#define WEBHOOK_COLS "w.id, w.url, array_to_string(w.events, ','), " \
	"w.active, w.created"
enum { C_ID, C_URL, C_EVENTS, C_ACTIVE, C_CREATED };

enum {
	ST_WH_PROJECT,
	ST_WH_COUNT,
	ST_WH_P_ID,
	ST_WH_P_ID_D,
	ST_WH_ROWS,
	ST_WH_ONE,
	ST_WH_LOCK,
	ST_WH_DUP,
	ST_WH_INSERT,
	ST_WH_UPDATE,
	ST_WH_DELETE,
	ST_WH__MAX
};

static const struct stmt_def stmts[ST_WH__MAX] = {
	/* By id first, then by linkname, as the project detail finds it. */
	[ST_WH_PROJECT] = { "wh_project",
	    "SELECT id FROM project WHERE id = $1 OR (linkname = $2 AND"
	    " NOT EXISTS (SELECT 1 FROM project x WHERE x.id = $1))", 2 },
	[ST_WH_COUNT] = { "wh_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM webhook w"
	    " WHERE w.project_id = $1", 1 },
	[ST_WH_P_ID] = { "wh_p_id",
	    "SELECT w.id, (SELECT pg_current_snapshot()::text) FROM webhook w"
	    " WHERE w.project_id = $1 ORDER BY w.id LIMIT $2 OFFSET $3", 3 },
	[ST_WH_P_ID_D] = { "wh_p_id_d",
	    "SELECT w.id, (SELECT pg_current_snapshot()::text) FROM webhook w"
	    " WHERE w.project_id = $1 ORDER BY w.id DESC LIMIT $2 OFFSET $3",
	    3 },
	[ST_WH_ROWS] = { "wh_rows",
	    "SELECT " WEBHOOK_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN webhook w ON w.id = o.id"
	    " ORDER BY o.n", 1 },
	[ST_WH_ONE] = { "wh_one",
	    "SELECT " WEBHOOK_COLS " FROM webhook w"
	    " WHERE w.id = $1 AND w.project_id = $2", 2 },
	[ST_WH_LOCK] = { "wh_lock",
	    "SELECT id FROM webhook WHERE id = $1 AND project_id = $2"
	    " FOR UPDATE", 2 },
	[ST_WH_DUP] = { "wh_dup",
	    "SELECT 1 FROM webhook WHERE project_id = $1 AND url = $2"
	    " AND id IS DISTINCT FROM $3::bigint", 3 },
	[ST_WH_INSERT] = { "wh_insert",
	    "INSERT INTO webhook (project_id, url, secret, events, active,"
	    " created_by) VALUES ($1, $2, $3, $4::text[], $5, $6)"
	    " RETURNING id", 6 },
	/* NULL keeps a column. */
	[ST_WH_UPDATE] = { "wh_update",
	    "UPDATE webhook SET url = coalesce($2, url),"
	    " secret = coalesce($3, secret),"
	    " events = coalesce($4::text[], events),"
	    " active = coalesce($5::boolean, active) WHERE id = $1", 5 },
	[ST_WH_DELETE] = { "wh_delete",
	    "DELETE FROM webhook WHERE id = $1", 1 },
};

static const struct api_order orders[] = {
	{ "id", { &stmts[ST_WH_P_ID], &stmts[ST_WH_P_ID_D] }, { NULL, NULL } },
};

static const struct api_listdef listdef = {
	.name = "webhooks",
	.orders = orders,
	.norders = 1,
	.count = &stmts[ST_WH_COUNT],
	.nfilters = 1,
};

#define WEBHOOK_URL_MAX		2000
#define WEBHOOK_SECRET_MAX	255
#define WEBHOOK_EVENTS_MAX	1000

static void
write_webhook(struct api *a, const struct dbres *res, int row)
{
	struct jw *w = &a->jw;

	jw_obj(w, NULL);
	jw_i64(w, "id", dbres_i64(res, row, C_ID));
	jw_str(w, "url", dbres_str(res, row, C_URL));
	jw_str(w, "events", dbres_str(res, row, C_EVENTS));
	jw_bool(w, "active", dbres_bool(res, row, C_ACTIVE));
	jw_time(w, "created", dbres_str(res, row, C_CREATED));
	jw_obj_end(w);
}

/* Python's int() of a path segment, for the id-or-linkname lookup. */
static int64_t
seg_id(const char *s)
{
	int64_t v = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9' && n < 18; s++, n++)
		v = v * 10 + (*s - '0');
	return *s == '\0' && n > 0 ? v : 0;
}

/*
 * The project of the path, for its maintainers only: 0 with *project,
 * or the status (404 no such project, 403 not a maintainer, 503).
 */
static int
project_maintained(struct api *a, int64_t *project)
{
	struct req *r = a->r;
	const char *key = req_param(r, "id");
	struct dbres *res;
	int ok;

	res = db_run(r->db, &stmts[ST_WH_PROJECT], DB_I64(seg_id(key)),
	    DB_STR(key));
	if (res == NULL)
		return api_db_error(a);
	if (dbres_rows(res) == 0)
		return api_not_found(a, "Project");
	*project = dbres_i64(res, 0, 0);
	if ((ok = auth_maintains(r, *project)) == -1)
		return api_db_error(a);
	if (!ok)
		return auth_deny(r);
	return 0;
}

/*
 * GET projects/{id}/webhooks/: 200 with a page of the project's
 * webhooks, oldest first (order=-id for newest first).
 */
int
api_webhook_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows;
	int64_t project;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = project_maintained(&a, &project)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	l.params[0] = DB_I64(project);
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	jw_arr(&a.jw, NULL);
	if (l.nids > 0) {
		rows = db_run(r->db, &stmts[ST_WH_ROWS],
		    DB_STR(api_list_ids(&a, &l)));
		if (rows == NULL)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(rows); i++)
			write_webhook(&a, rows, i);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/* One webhook of the project: status (200 or 201) with it, or 404. */
static int
show(struct api *a, int64_t project, int64_t id, int status)
{
	struct dbres *res;

	res = db_run(a->r->db, &stmts[ST_WH_ONE], DB_I64(id), DB_I64(project));
	if (res == NULL)
		return api_db_error(a);
	if (dbres_rows(res) == 0)
		return api_not_found(a, "Webhook");
	write_webhook(a, res, 0);
	if (status == 201)
		resp_header(a->r, "Location", "%s/projects/%lld/webhooks/%lld/",
		    a->prefix, (long long)project, (long long)id);
	return status;
}

/* GET projects/{id}/webhooks/{wid}/: 200, or 404. */
int
api_webhook_detail(struct req *r)
{
	struct api a;
	int64_t project, id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = project_maintained(&a, &project)) != 0)
		return st;
	req_param_i64(r, "wid", &id);
	return show(&a, project, id, 200);
}

struct webhook_in {
	const char	*url;		/* NULL: unchanged */
	const char	*secret;
	const char	*events;	/* a text[] literal */
	int		 active;	/* -1: unchanged */
};

/*
 * events: "*" or categories separated by commas (blanks around each
 * ignored, duplicates dropped; "*" among others is "*" alone).  The
 * text[] literal, or NULL with the error added.
 */
static const char *
read_events(struct api *a, struct json_object **errs, const char *s)
{
	const char *items[EVENT_NCATEGORIES];
	int n = 0, i, all = 0;

	for (;;) {
		const char *e = strchr(s, ',');
		size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
		char *item;

		while (len > 0 && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		item = arena_strndup(a->r->arena, s, len);
		if (strcmp(item, "*") == 0)
			all = 1;
		else if (event_category(item) == -1) {
			verr_add(a->r, errs, "events", arena_printf(
			    a->r->arena, "Invalid event category: \"%s\"",
			    item));
			return NULL;
		} else {
			for (i = 0; i < n; i++)
				if (strcmp(items[i], item) == 0)
					break;
			if (i == n && n < EVENT_NCATEGORIES)
				items[n++] = item;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
	return all ? "{*}" : api_pg_strs(a, items, n);
}

/*
 * The body: url (required unless partial; http or https), secret,
 * events, active.  0, or the 400 written.  -1: database.
 */
static int
read_webhook(struct api *a, const struct body *b, int partial,
    int64_t project, int64_t self, struct webhook_in *in)
{
	struct json_object *errs = NULL;
	struct req *r = a->r;
	const char *v;
	struct dbres *res;
	enum field_rc rc;

	memset(in, 0, sizeof(*in));
	in->active = -1;
	rc = body_str(r, b, &errs, "url", 0, WEBHOOK_URL_MAX, &in->url);
	if (rc == FIELD_ABSENT && !partial)
		verr_add(r, &errs, "url", "This field is required.");
	else if (rc == FIELD_OK && (!apiw_url_valid(in->url) ||
	    (strncasecmp(in->url, "http://", 7) != 0 &&
	    strncasecmp(in->url, "https://", 8) != 0))) {
		verr_add(r, &errs, "url", "Enter a valid URL.");
		in->url = NULL;
	} else if (rc == FIELD_OK) {
		res = db_run(r->db, &stmts[ST_WH_DUP], DB_I64(project),
		    DB_STR(in->url), self ? DB_I64(self) : DB_NULL);
		if (res == NULL)
			return -1;
		if (dbres_rows(res) > 0)
			verr_add(r, &errs, "url", "A webhook with this url "
			    "already exists for this project.");
	}
	if (rc != FIELD_OK)
		in->url = NULL;
	if (body_str(r, b, &errs, "secret", FIELD_BLANK, WEBHOOK_SECRET_MAX,
	    &in->secret) != FIELD_OK)
		in->secret = NULL;
	if (body_str(r, b, &errs, "events", 0, WEBHOOK_EVENTS_MAX, &v) ==
	    FIELD_OK)
		in->events = read_events(a, &errs, v);
	body_bool(r, b, &errs, "active", FIELD_PARTIAL, &in->active);
	if (errs != NULL)
		return verr_send(r, errs);
	return 0;
}

static int
fail(struct api *a)
{
	int st;

	if (a->r->db->err == DB_DUPLICATE) {
		struct json_object *errs = NULL;

		db_rollback(a->r->db);
		verr_add(a->r, &errs, "url", "A webhook with this url already "
		    "exists for this project.");
		return verr_send(a->r, errs);
	}
	st = api_db_error(a);
	db_rollback(a->r->db);
	return st;
}

/*
 * POST projects/{id}/webhooks/: 404/403 as above; 400 for the body; 201
 * with the webhook and its Location.  Defaults: secret "", events "*",
 * active true.
 */
int
api_webhook_create(struct req *r)
{
	struct webhook_in in;
	struct dbres *res;
	struct body b;
	struct api a;
	int64_t project, id;
	int st;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = project_maintained(&a, &project)) != 0)
		return st;
	if ((st = body_parse(r, &b)) != 0)
		return st;
	if (db_begin(r->db) == -1)
		return fail(&a);
	if ((st = read_webhook(&a, &b, 0, project, 0, &in)) != 0) {
		if (st == -1)
			return fail(&a);
		db_rollback(r->db);
		return st;
	}
	res = db_run(r->db, &stmts[ST_WH_INSERT], DB_I64(project),
	    DB_STR(in.url), DB_STR(in.secret != NULL ? in.secret : ""),
	    DB_STR(in.events != NULL ? in.events : "{*}"),
	    DB_BOOL(in.active != 0), DB_ID(a.user_id));
	if (res == NULL)
		return fail(&a);
	id = dbres_i64(res, 0, 0);
	if (db_commit(r->db) == -1)
		return fail(&a);
	return show(&a, project, id, 201);
}

/* Lock the webhook {wid} of project: 0, or the 404 (or 503) decided. */
static int
lock_webhook(struct api *a, int64_t project, int64_t *id)
{
	struct dbres *res;

	*id = 0;
	req_param_i64(a->r, "wid", id);
	res = db_run(a->r->db, &stmts[ST_WH_LOCK], DB_I64(*id),
	    DB_I64(project));
	if (res == NULL)
		return fail(a);
	if (dbres_rows(res) == 0) {
		db_rollback(a->r->db);
		return api_not_found(a, "Webhook");
	}
	return 0;
}

/*
 * PATCH projects/{id}/webhooks/{wid}/: 404/403 as above, 404 for a
 * webhook of another project; 400 for the body; 200 with the webhook.
 * Absent fields keep their values.
 */
int
api_webhook_update(struct req *r)
{
	struct webhook_in in;
	struct body b;
	struct api a;
	int64_t project, id;
	int st;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = project_maintained(&a, &project)) != 0)
		return st;
	if (db_begin(r->db) == -1)
		return fail(&a);
	if ((st = lock_webhook(&a, project, &id)) != 0)
		return st;
	if ((st = body_parse(r, &b)) != 0) {
		db_rollback(r->db);
		return st;
	}
	if ((st = read_webhook(&a, &b, 1, project, id, &in)) != 0) {
		if (st == -1)
			return fail(&a);
		db_rollback(r->db);
		return st;
	}
	if (db_run_do(r->db, &stmts[ST_WH_UPDATE], DB_I64(id), DB_STR(in.url),
	    DB_STR(in.secret), DB_STR(in.events),
	    in.active < 0 ? DB_NULL : DB_BOOL(in.active)) == -1 ||
	    db_commit(r->db) == -1)
		return fail(&a);
	return show(&a, project, id, 200);
}

/* DELETE projects/{id}/webhooks/{wid}/: as for updates; 204, no body. */
int
api_webhook_delete(struct req *r)
{
	struct api a;
	int64_t project, id;
	int st;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = project_maintained(&a, &project)) != 0)
		return st;
	if (db_begin(r->db) == -1)
		return fail(&a);
	if ((st = lock_webhook(&a, project, &id)) != 0)
		return st;
	if (db_run_do(r->db, &stmts[ST_WH_DELETE], DB_I64(id)) == -1 ||
	    db_commit(r->db) == -1)
		return fail(&a);
	buf_reset(&r->out);
	r->ctype = NULL;
	return 204;
}
