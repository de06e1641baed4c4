/*
 * /api/[v/]bundles/ and /api/[v/]bundles/{id}/ (REST spec 12.1): a
 * user's named, ordered lists of patches of one project.
 *
 * Anonymous users see public bundles; a user sees public bundles and
 * their own.  A bundle one may not see is a 404 whatever the method.
 * Writes exist from API 1.2 (a 405 below, checked before the login): any
 * user creates, only the owner changes or deletes.  `patches` replaces
 * the whole list, in the order given (duplicates keep their first
 * place); the bundle's project is its first patch's.
 *
 * A list is at most four statements whatever the page size: filter
 * resolution, the page's ids, the page's rows, and their patches.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * Filters $1..$8: the viewer (NULL: anonymous), project and owner as
 * pairs (one id, or an array), public, the first q pattern, all of them.
 */
#define BUNDLE_NF	8
#define BUNDLE_WHERE \
	" WHERE (b.public OR b.owner_id = $1::bigint)" \
	" AND ($2::bigint IS NULL OR b.project_id = $2)" \
	" AND ($3::bigint[] IS NULL OR b.project_id = ANY($3::bigint[]))" \
	" AND ($4::bigint IS NULL OR b.owner_id = $4)" \
	" AND ($5::bigint[] IS NULL OR b.owner_id = ANY($5::bigint[]))" \
	" AND ($6::boolean IS NULL OR b.public = $6)" \
	" AND ($7::text IS NULL OR b.name ILIKE $7)" \
	" AND ($8::text[] IS NULL OR b.name ILIKE ALL ($8::text[]))"
#define BUNDLE_PAGE(ord) \
	"SELECT b.id, (SELECT pg_current_snapshot()::text) FROM bundle b" \
	BUNDLE_WHERE " ORDER BY " ord " LIMIT $9 OFFSET $10"

#define BUNDLE_COLS "b.id, b.name, b.public, " API_COLS_PROJECT("pr") ", " \
	API_COLS_USER("u")
#define BUNDLE_JOINS " JOIN project pr ON pr.id = b.project_id" \
	" JOIN auth_user u ON u.id = b.owner_id"
enum {
	C_ID, C_NAME, C_PUBLIC,
	C_PROJECT,
	C_USER = C_PROJECT + API_NCOLS_PROJECT,
};

enum {
	ST_COUNT,
	ST_ID, ST_ID_D, ST_NAME, ST_NAME_D, ST_OWNER, ST_OWNER_D,
	ST_ROWS,
	ST_PATCHES,
	ST_DETAIL,
	ST_LOCK,
	ST_DUP,
	ST_PATCH_PROJECTS,
	ST_INSERT,
	ST_UPDATE,
	ST_CLEAR,
	ST_ADD,
	ST_DELETE,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_bundle_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM bundle b"
	    BUNDLE_WHERE, BUNDLE_NF },
	[ST_ID] = { "api_bundle_p_id", BUNDLE_PAGE("b.id"), BUNDLE_NF + 2 },
	[ST_ID_D] = { "api_bundle_p_id_d", BUNDLE_PAGE("b.id DESC"),
	    BUNDLE_NF + 2 },
	[ST_NAME] = { "api_bundle_p_name", BUNDLE_PAGE("b.name, b.id"),
	    BUNDLE_NF + 2 },
	[ST_NAME_D] = { "api_bundle_p_name_d",
	    BUNDLE_PAGE("b.name DESC, b.id DESC"), BUNDLE_NF + 2 },
	[ST_OWNER] = { "api_bundle_p_owner",
	    BUNDLE_PAGE("b.owner_id, b.id"), BUNDLE_NF + 2 },
	[ST_OWNER_D] = { "api_bundle_p_owner_d",
	    BUNDLE_PAGE("b.owner_id DESC, b.id DESC"), BUNDLE_NF + 2 },
	[ST_ROWS] = { "api_bundle_rows",
	    "SELECT " BUNDLE_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN bundle b ON b.id = o.id"
	    BUNDLE_JOINS " ORDER BY o.n", 1 },
	/* Output order is the patches' date order, as Django's. */
	[ST_PATCHES] = { "api_bundle_patches",
	    "SELECT bp.bundle_id, " API_COLS_SUB("p", "pp")
	    " FROM bundle_patch bp JOIN patch p ON p.id = bp.patch_id"
	    " JOIN project pp ON pp.id = p.project_id"
	    " WHERE bp.bundle_id = ANY($1::bigint[])"
	    " ORDER BY bp.bundle_id, p.date, p.id", 1 },
	[ST_DETAIL] = { "api_bundle_detail",
	    "SELECT " BUNDLE_COLS " FROM bundle b" BUNDLE_JOINS
	    " WHERE b.id = $2 AND (b.public OR b.owner_id = $1::bigint)", 2 },
	[ST_LOCK] = { "api_bundle_lock",
	    "SELECT owner_id, project_id FROM bundle"
	    " WHERE id = $2 AND (public OR owner_id = $1::bigint)"
	    " FOR UPDATE", 2 },
	[ST_DUP] = { "api_bundle_dup",
	    "SELECT 1 FROM bundle WHERE owner_id = $1 AND name = $2"
	    " AND id IS DISTINCT FROM $3::bigint", 3 },
	[ST_PATCH_PROJECTS] = { "api_bundle_patch_projects",
	    "SELECT x.id, p.project_id"
	    " FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, n)"
	    " LEFT JOIN patch p ON p.id = x.id ORDER BY x.n", 1 },
	[ST_INSERT] = { "api_bundle_insert",
	    "INSERT INTO bundle (owner_id, project_id, name, public)"
	    " VALUES ($1, $2, $3, $4) RETURNING id", 4 },
	/* NULL keeps a column. */
	[ST_UPDATE] = { "api_bundle_update",
	    "UPDATE bundle SET name = coalesce($2, name),"
	    " public = coalesce($3::boolean, public),"
	    " project_id = coalesce($4::bigint, project_id) WHERE id = $1", 4 },
	[ST_CLEAR] = { "api_bundle_clear",
	    "DELETE FROM bundle_patch WHERE bundle_id = $1", 1 },
	/* The list in order, each patch once, at positions 1, 2, ... */
	[ST_ADD] = { "api_bundle_add",
	    "INSERT INTO bundle_patch (bundle_id, patch_id, position)"
	    " SELECT $1, id, row_number() OVER (ORDER BY n) FROM"
	    " (SELECT DISTINCT ON (id) id, n FROM unnest($2::bigint[])"
	    " WITH ORDINALITY AS x(id, n) ORDER BY id, n) d", 2 },
	[ST_DELETE] = { "api_bundle_delete",
	    "DELETE FROM bundle WHERE id = $1", 1 },
};

static const struct api_order orders[] = {
	{ "id", { &stmts[ST_ID], &stmts[ST_ID_D] }, { NULL, NULL } },
	{ "name", { &stmts[ST_NAME], &stmts[ST_NAME_D] }, { NULL, NULL } },
	{ "owner", { &stmts[ST_OWNER], &stmts[ST_OWNER_D] }, { NULL, NULL } },
};

static const struct api_listdef listdef = {
	.name = "bundles",
	.orders = orders,
	.norders = sizeof(orders) / sizeof(orders[0]),
	.count = &stmts[ST_COUNT],
	.nfilters = BUNDLE_NF,
};

/* A URL path segment (usernames and bundle names), percent-encoded. */
static const char *
segment(struct api *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	const char *out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@", c))
			buf_addc(&b, c);
		else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[c >> 4]);
			buf_addc(&b, hex[c & 15]);
		}
	}
	out = arena_strndup(a->r->arena, b.s, b.len);
	buf_release(&b);
	return out;
}

static void
write_bundle(struct api *a, const struct dbres *res, int row,
    const struct dbres *pl)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, C_ID);
	const char *owner, *name;
	int i;

	owner = segment(a, dbres_str(res, row, C_USER + 1));
	name = segment(a, dbres_str(res, row, C_NAME));
	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_strf(w, "url", "%s/bundles/%lld/", a->prefix, (long long)id);
	if (API_HAS(a, 11))
		jw_strf(w, "web_url", "%s/bundle/%s/%s/", a->base, owner, name);
	api_embed_project(a, "project", res, row, C_PROJECT);
	jw_str(w, "name", dbres_str(res, row, C_NAME));
	api_embed_user(a, "owner", res, row, C_USER);
	jw_arr(w, "patches");
	for (i = 0; i < dbres_rows(pl); i++)
		if (dbres_i64(pl, i, 0) == id)
			api_embed_patch(a, NULL, pl, i, 1);
	jw_arr_end(w);
	jw_bool(w, "public", dbres_bool(res, row, C_PUBLIC));
	jw_strf(w, "mbox", "%s/bundle/%s/%s/mbox/", a->base, owner, name);
	jw_obj_end(w);
}

static struct dbparam
viewer(const struct api *a)
{
	return a->user_id != 0 ? DB_I64(a->user_id) : DB_NULL;
}

static int
bundle_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v;
	int st, b;

	memset(&rs, 0, sizeof(rs));
	api_resolve_add(a, &rs, API_KIND_PROJECT, "project");
	api_resolve_add(a, &rs, API_KIND_USER, "owner");
	if ((st = api_resolve_run(a, &rs)) != 0)
		return st;
	p[0] = viewer(a);
	api_param_ids(a, &p[1], &rs.out[API_KIND_PROJECT]);
	api_param_ids(a, &p[3], &rs.out[API_KIND_USER]);
	if ((v = api_arg(a, "public")) != NULL &&
	    (b = api_parse_boolfilter(v)) != -1)
		p[5] = DB_BOOL(b);
	api_param_search(a, &p[6]);
	return 0;
}

/*
 * GET bundles/: 200 with a page of the bundles the user may see (filters
 * project, owner, public; q on name; order id, name, owner).
 */
int
api_bundle_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows, *pl;
	const char *ids;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	if ((st = bundle_filters(&a, &l)) == 1)
		l.empty = 1;
	else if (st != 0)
		return st;
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	jw_arr(&a.jw, NULL);
	if (l.nids > 0) {
		ids = api_list_ids(&a, &l);
		if ((rows = db_run(r->db, &stmts[ST_ROWS], DB_STR(ids))) ==
		    NULL || (pl = db_run(r->db, &stmts[ST_PATCHES],
		    DB_STR(ids))) == NULL)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(rows); i++)
			write_bundle(&a, rows, i, pl);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/* One bundle the user may see: 200, or 404. */
static int
show(struct api *a, int64_t id, int status)
{
	struct dbres *res, *pl;

	res = db_run(a->r->db, &stmts[ST_DETAIL], viewer(a), DB_I64(id));
	if (res == NULL)
		return api_db_error(a);
	if (dbres_rows(res) == 0)
		return api_not_found(a, "Bundle");
	pl = db_run(a->r->db, &stmts[ST_PATCHES],
	    DB_STR(api_pg_ids(a, &id, 1)));
	if (pl == NULL)
		return api_db_error(a);
	write_bundle(a, res, 0, pl);
	if (status == 201)
		resp_header(a->r, "Location", "%s/bundles/%lld/", a->prefix,
		    (long long)id);
	return status;
}

/* GET bundles/{id}/: 200, or 404 when missing or not visible. */
int
api_bundle_detail(struct req *r)
{
	struct api a;
	int64_t id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	return show(&a, id, 200);
}

struct bundle_in {
	const char	*name;		/* NULL: unchanged */
	int		 public;	/* -1: unchanged */
	int		 patches_set;
	int64_t		*patches;
	size_t		 npatches;
	int64_t		 project;	/* of the first patch */
};

/*
 * The body: name (1-50 characters, no '/', unique per owner), patches
 * (required unless partial; not empty; existing; one project), public.
 * 0, an HTTP status with the errors written, or -1 (database).
 */
static int
read_bundle(struct api *a, const struct body *b, int partial, int64_t self,
    struct bundle_in *in)
{
	struct json_object *errs = NULL;
	struct req *r = a->r;
	const char **reprs = NULL;
	struct dbres *res;
	size_t i;
	enum field_rc rc;

	in->name = NULL;
	in->public = -1;
	in->patches_set = 0;
	in->project = 0;
	rc = body_str(r, b, &errs, "name", 0, 50, &in->name);
	if (rc == FIELD_ABSENT && !partial)
		verr_add(r, &errs, "name", "This field is required.");
	else if (rc == FIELD_OK && strchr(in->name, '/') != NULL) {
		verr_add(r, &errs, "name", "Bundle names can't contain "
		    "slashes");
		in->name = NULL;
	} else if (rc == FIELD_OK) {
		res = db_run(r->db, &stmts[ST_DUP], DB_I64(a->user_id),
		    DB_STR(in->name), self ? DB_I64(self) : DB_NULL);
		if (res == NULL)
			return -1;
		if (dbres_rows(res) > 0)
			verr_add(r, &errs, "name", "A bundle with this name "
			    "already exists.");
	} else if (rc != FIELD_OK)
		in->name = NULL;

	rc = body_pk_list(r, b, &errs, "patches",
	    partial ? FIELD_PARTIAL : 0, &in->patches, &reprs, &in->npatches);
	if (rc == FIELD_ABSENT && !partial)
		verr_add(r, &errs, "patches", "This field is required.");
	else if (rc == FIELD_OK && in->npatches == 0)
		verr_add(r, &errs, "patches", "Bundles cannot be empty");
	else if (rc == FIELD_OK) {
		res = db_run(r->db, &stmts[ST_PATCH_PROJECTS],
		    DB_STR(api_pg_ids(a, in->patches, (int)in->npatches)));
		if (res == NULL)
			return -1;
		for (i = 0; i < in->npatches; i++)
			if (dbres_isnull(res, (int)i, 1)) {
				verr_add(r, &errs, "patches", arena_printf(
				    r->arena, "Invalid pk \"%s\" - object does "
				    "not exist.", reprs[i]));
				break;
			}
		if (i == in->npatches) {
			in->project = dbres_i64(res, 0, 1);
			for (i = 1; i < in->npatches; i++)
				if (dbres_i64(res, (int)i, 1) != in->project)
					break;
			if (i < in->npatches)
				verr_add(r, &errs, "patches", "Bundle patches "
				    "must belong to the same project");
			else
				in->patches_set = 1;
		}
	}
	body_bool(r, b, &errs, "public", partial ? FIELD_PARTIAL : 0,
	    &in->public);
	if (errs != NULL)
		return verr_send(r, errs);
	return 0;
}

/* Writes below 1.2 do not exist, whoever asks (DRF: MethodNotAllowed). */
static int
writable(struct api *a)
{
	if (!API_HAS(a, 12))
		return api_error(a, 405, arena_printf(a->r->arena,
		    "Method \"%s\" not allowed.", a->r->method_name));
	return 0;
}

static int
store_patches(struct api *a, int64_t id, const struct bundle_in *in)
{
	struct db *db = a->r->db;

	return db_run_do(db, &stmts[ST_CLEAR], DB_I64(id)) == -1 ||
	    db_run_do(db, &stmts[ST_ADD], DB_I64(id),
	    DB_STR(api_pg_ids(a, in->patches, (int)in->npatches))) == -1 ?
	    -1 : 0;
}

static int
fail(struct api *a)
{
	int st;

	if (a->r->db->err == DB_DUPLICATE) {
		struct json_object *errs = NULL;

		db_rollback(a->r->db);
		verr_add(a->r, &errs, "name", "A bundle with this name "
		    "already exists.");
		return verr_send(a->r, errs);
	}
	st = api_db_error(a);
	db_rollback(a->r->db);
	return st;
}

/*
 * POST bundles/ (1.2+): 405 below 1.2; 403 for anonymous; 400 for the
 * body; 201 with the bundle and its Location.
 */
int
api_bundle_create(struct req *r)
{
	struct bundle_in in;
	struct dbres *res;
	struct body b;
	struct api a;
	int64_t id;
	int st;

	if ((st = api_begin(r, &a)) != 0 || (st = writable(&a)) != 0 ||
	    (st = api_need_user(&a)) != 0)
		return st;
	if ((st = body_parse(r, &b)) != 0)
		return st;
	if (db_begin(r->db) == -1)
		return fail(&a);
	if ((st = read_bundle(&a, &b, 0, 0, &in)) != 0) {
		if (st == -1)
			return fail(&a);
		db_rollback(r->db);
		return st;
	}
	res = db_run(r->db, &stmts[ST_INSERT], DB_I64(a.user_id),
	    DB_I64(in.project), DB_STR(in.name),
	    DB_BOOL(in.public == 1));
	if (res == NULL)
		return fail(&a);
	id = dbres_i64(res, 0, 0);
	if (store_patches(&a, id, &in) == -1 || db_commit(r->db) == -1)
		return fail(&a);
	return show(&a, id, 201);
}

/*
 * Lock a bundle for a write: 0 with *owner, or the status (404 unless
 * visible, 403 unless the owner).
 */
static int
lock_owned(struct api *a, int64_t id)
{
	struct dbres *res;

	res = db_run(a->r->db, &stmts[ST_LOCK], viewer(a), DB_I64(id));
	if (res == NULL)
		return fail(a);
	if (dbres_rows(res) == 0) {
		db_rollback(a->r->db);
		return api_not_found(a, "Bundle");
	}
	if (a->user_id == 0 || dbres_i64(res, 0, 0) != a->user_id) {
		db_rollback(a->r->db);
		return auth_deny(a->r);
	}
	return 0;
}

/*
 * PUT/PATCH bundles/{id}/ (1.2+): 405 below; 404 unless visible; 403
 * unless the owner; 400 for the body (PUT needs name and patches); 200
 * with the bundle.
 */
int
api_bundle_update(struct req *r)
{
	struct bundle_in in;
	struct body b;
	struct api a;
	int64_t id = 0;
	int st, partial = r->method == HTTP_PATCH;

	if ((st = api_begin(r, &a)) != 0 || (st = writable(&a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	if (db_begin(r->db) == -1)
		return fail(&a);
	if ((st = lock_owned(&a, id)) != 0)
		return st;
	if ((st = body_parse(r, &b)) != 0) {
		db_rollback(r->db);
		return st;
	}
	if ((st = read_bundle(&a, &b, partial, id, &in)) != 0) {
		if (st == -1)
			return fail(&a);
		db_rollback(r->db);
		return st;
	}
	if (db_run_do(r->db, &stmts[ST_UPDATE], DB_I64(id), DB_STR(in.name),
	    in.public < 0 ? DB_NULL : DB_BOOL(in.public),
	    in.patches_set ? DB_I64(in.project) : DB_NULL) == -1 ||
	    (in.patches_set && store_patches(&a, id, &in) == -1) ||
	    db_commit(r->db) == -1)
		return fail(&a);
	return show(&a, id, 200);
}

/* DELETE bundles/{id}/ (1.2+): as for updates; 204 with no body. */
int
api_bundle_delete(struct req *r)
{
	struct api a;
	int64_t id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0 || (st = writable(&a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	if (db_begin(r->db) == -1)
		return fail(&a);
	if ((st = lock_owned(&a, id)) != 0)
		return st;
	if (db_run_do(r->db, &stmts[ST_DELETE], DB_I64(id)) == -1 ||
	    db_commit(r->db) == -1)
		return fail(&a);
	buf_reset(&r->out);
	r->ctype = NULL;
	return 204;
}
