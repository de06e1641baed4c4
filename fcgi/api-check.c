/*
 * GET /api/[v/]patches/{id}/checks/ and .../checks/{cid}/ (REST spec 8).
 * Anyone may read.  (POST and the 1.4 PATCH are api-check-write.c's.)
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * $1 patch id, $2/$3 user (one id or an array), $4 state code, $5
 * context, $6 since, $7 before.
 */
#define CHECK_NF	7
#define CHECK_WHERE \
	" WHERE c.patch_id = $1" \
	" AND ($2::bigint IS NULL OR c.user_id = $2)" \
	" AND ($3::bigint[] IS NULL OR c.user_id = ANY($3::bigint[]))" \
	" AND ($4::smallint IS NULL OR c.state = $4)" \
	" AND ($5::text IS NULL OR c.context = $5)" \
	" AND ($6::timestamptz IS NULL OR c.date >= $6)" \
	" AND ($7::timestamptz IS NULL OR c.date < $7)"
#define CHECK_PAGE(ord) \
	"SELECT c.id, (SELECT pg_current_snapshot()::text) FROM ci_check c" \
	CHECK_WHERE " ORDER BY " ord " LIMIT $8 OFFSET $9"

/* NULLs sort last ascending and first descending, as in Django. */
#define CHECK_ORDERS(X) \
	X(ID, "id", "c.id") \
	X(DATE, "date", "c.date") \
	X(STATE, "state", "c.state") \
	X(CONTEXT, "context", "c.context") \
	X(USER, "user", "c.user_id") \
	X(TARGET, "target_url", "c.target_url") \
	X(DESCRIPTION, "description", "c.description")

#define CHECK_COLS "c.id, c.patch_id, c.date, c.state, c.target_url," \
	" c.context, c.description, " API_COLS_USER("u")
enum {
	C_ID, C_PATCH, C_DATE, C_STATE, C_TARGET, C_CONTEXT, C_DESCRIPTION,
	C_USER
};

enum {
	ST_PARENT,
	ST_COUNT,
#define X(E, n, k) ST_P_##E, ST_PD_##E,
	CHECK_ORDERS(X)
#undef X
	ST_ROWS,
	ST_DETAIL,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_PARENT] = { "api_check_parent",
	    "SELECT 1 FROM patch WHERE id = $1", 1 },
	[ST_COUNT] = { "api_check_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM ci_check c"
	    CHECK_WHERE, CHECK_NF },
#define X(E, n, k) \
	[ST_P_##E] = { "api_check_p_" n, CHECK_PAGE(k ", c.id"), \
	    CHECK_NF + 2 }, \
	[ST_PD_##E] = { "api_check_pd_" n, \
	    CHECK_PAGE(k " DESC, c.id DESC"), CHECK_NF + 2 },
	CHECK_ORDERS(X)
#undef X
	[ST_ROWS] = { "api_check_rows",
	    "SELECT " CHECK_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN ci_check c ON c.id = o.id"
	    " LEFT JOIN auth_user u ON u.id = c.user_id ORDER BY o.n", 1 },
	/* No row: no patch; a row with a NULL id: no such check. */
	[ST_DETAIL] = { "api_check_detail",
	    "SELECT " CHECK_COLS " FROM patch p LEFT JOIN (ci_check c"
	    " LEFT JOIN auth_user u ON u.id = c.user_id)"
	    " ON c.patch_id = p.id AND c.id = $2 WHERE p.id = $1", 2 },
};

static const struct api_order orders[] = {
#define X(E, n, k) { n, { &stmts[ST_P_##E], &stmts[ST_PD_##E] }, \
	{ NULL, NULL } },
	CHECK_ORDERS(X)
#undef X
};

static const struct api_listdef listdef = {
	"checks", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], CHECK_NF, 0, NULL, NULL, 0,
};

static void
write_check(struct api *a, const struct dbres *res, int row)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, C_ID);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url2(w, "url", a->prefix_j, "/patches/",
	    dbres_i64(res, row, C_PATCH), "/checks/", id, "/");
	api_embed_user(a, "user", res, row, C_USER);
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	jw_str(w, "state", api_check_state((int)dbres_i64(res, row, C_STATE)));
	jw_str(w, "target_url", dbres_str(res, row, C_TARGET));
	jw_str(w, "context", dbres_str(res, row, C_CONTEXT));
	jw_str(w, "description", dbres_str(res, row, C_DESCRIPTION));
	jw_obj_end(w);
}

/* The state filter: a label or its code 0..3; -1 for anything else. */
static int
state_code(const char *s)
{
	static const char *const labels[] = {
		"pending", "success", "warning", "fail",
	};
	int64_t v;
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, labels[i]) == 0)
			return i;
	if (api_parse_int(s, &v) == 0 && v >= 0 && v <= 3)
		return (int)v;
	return -1;
}

static int
check_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v;
	char dt[80];
	int st;

	memset(&rs, 0, sizeof(rs));
	api_resolve_add(a, &rs, API_KIND_USER, "user");
	if ((st = api_resolve_run(a, &rs)) != 0)
		return st;
	api_param_ids(a, &p[1], &rs.out[API_KIND_USER]);
	if ((v = api_arg(a, "state")) != NULL && *v != '\0') {
		if ((st = state_code(v)) == -1)
			return 1;
		p[3] = DB_I64(st);
	}
	if ((v = api_arg(a, "context")) != NULL && *v != '\0')
		p[4] = DB_STR(v);
	if ((v = api_arg(a, "since")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[5] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	if ((v = api_arg(a, "before")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[6] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	return 0;
}

/*
 * GET patches/{id}/checks/: 200 with a page of the patch's checks
 * (filters user, state as label or code, context, since, before; order
 * id, date, state, context, user, target_url, description); 404 {"detail":
 * "No Patch matches the given query."}.
 */
int
api_check_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *res;
	int64_t patch = 0;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	req_param_i64(r, "id", &patch);
	res = db_run(r->db, &stmts[ST_PARENT], DB_I64(patch));
	if (res == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, "Patch");
	l.params[0] = DB_I64(patch);
	if ((st = check_filters(&a, &l)) == 1)
		l.empty = 1;
	else if (st != 0)
		return st;
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	jw_arr(&a.jw, NULL);
	if (l.nids > 0) {
		res = db_run(r->db, &stmts[ST_ROWS],
		    DB_STR(api_list_ids(&a, &l)));
		if (res == NULL)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(res); i++)
			write_check(&a, res, i);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/*
 * GET patches/{id}/checks/{cid}/: 200 with the check; 404 when the
 * patch is missing or the check is not one of its own.
 */
int
api_check_detail(struct req *r)
{
	struct api a;
	struct dbres *res;
	int64_t patch = 0, id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	req_param_i64(r, "id", &patch);
	req_param_i64(r, "cid", &id);
	res = db_run(r->db, &stmts[ST_DETAIL], DB_I64(patch), DB_I64(id));
	if (res == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, "Patch");
	if (dbres_isnull(res, 0, C_ID))
		return api_not_found(&a, "Check");
	write_check(&a, res, 0);
	return 200;
}
