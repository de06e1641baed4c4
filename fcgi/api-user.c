/*
 * GET /api/[v/]users/ and /api/[v/]users/{id}/ (REST spec 12.2).
 * Authenticated users only: anonymous requests get 403, as in Django.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/* $1 first q pattern, $2 all of them: username, names, email. */
#define USER_WHERE \
	" WHERE ($1::text IS NULL OR u.username ILIKE $1" \
	" OR u.first_name ILIKE $1 OR u.last_name ILIKE $1" \
	" OR u.email ILIKE $1)" \
	" AND ($2::text[] IS NULL OR NOT EXISTS (SELECT 1" \
	" FROM unnest($2::text[]) t WHERE NOT (u.username ILIKE t" \
	" OR u.first_name ILIKE t OR u.last_name ILIKE t" \
	" OR u.email ILIKE t)))"
#define USER_PAGE(key, type, cmp, ord) \
	"SELECT u.id, (SELECT pg_current_snapshot()::text) FROM auth_user u" \
	USER_WHERE " AND ($3::text IS NULL OR (" key ", u.id) " cmp \
	" ($3::text::" type ", $4::bigint)) ORDER BY " ord \
	" LIMIT $5 OFFSET $6"
#define USER_MARKS(key, ord) \
	"SELECT k::text, id FROM (SELECT " key " AS k, u.id, row_number()" \
	" OVER (ORDER BY " ord ") AS rn FROM auth_user u" USER_WHERE ") x" \
	" WHERE rn > 1 AND (rn - 1) % $3 = 0 ORDER BY rn"

#define USER_COLS API_COLS_USER("u") ", u.send_email, u.items_per_page," \
	" u.show_ids"

enum {
	ST_COUNT,
	ST_ID, ST_ID_D, ST_NAME, ST_NAME_D, ST_EMAIL, ST_EMAIL_D,
	ST_M_ID, ST_M_ID_D, ST_M_NAME, ST_M_NAME_D, ST_M_EMAIL, ST_M_EMAIL_D,
	ST_ROWS,
	ST_DETAIL,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_user_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM auth_user u"
	    USER_WHERE, 2 },
	[ST_ID] = { "api_user_p_id",
	    USER_PAGE("u.id", "bigint", ">=", "u.id"), 6 },
	[ST_ID_D] = { "api_user_p_id_d",
	    USER_PAGE("u.id", "bigint", "<=", "u.id DESC"), 6 },
	[ST_NAME] = { "api_user_p_name",
	    USER_PAGE("u.username", "text", ">=", "u.username, u.id"), 6 },
	[ST_NAME_D] = { "api_user_p_name_d",
	    USER_PAGE("u.username", "text", "<=",
	    "u.username DESC, u.id DESC"), 6 },
	[ST_EMAIL] = { "api_user_p_email",
	    USER_PAGE("u.email", "text", ">=", "u.email, u.id"), 6 },
	[ST_EMAIL_D] = { "api_user_p_email_d",
	    USER_PAGE("u.email", "text", "<=", "u.email DESC, u.id DESC"), 6 },
	[ST_M_ID] = { "api_user_m_id", USER_MARKS("u.id", "u.id"), 3 },
	[ST_M_ID_D] = { "api_user_m_id_d",
	    USER_MARKS("u.id", "u.id DESC"), 3 },
	[ST_M_NAME] = { "api_user_m_name",
	    USER_MARKS("u.username", "u.username, u.id"), 3 },
	[ST_M_NAME_D] = { "api_user_m_name_d",
	    USER_MARKS("u.username", "u.username DESC, u.id DESC"), 3 },
	[ST_M_EMAIL] = { "api_user_m_email",
	    USER_MARKS("u.email", "u.email, u.id"), 3 },
	[ST_M_EMAIL_D] = { "api_user_m_email_d",
	    USER_MARKS("u.email", "u.email DESC, u.id DESC"), 3 },
	[ST_ROWS] = { "api_user_rows",
	    "SELECT " USER_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN auth_user u ON u.id = o.id"
	    " ORDER BY o.n", 1 },
	[ST_DETAIL] = { "api_user_detail",
	    "SELECT " USER_COLS " FROM auth_user u WHERE u.id = $1", 1 },
};

static const struct api_order orders[] = {
	{ "id", { &stmts[ST_ID], &stmts[ST_ID_D] },
	    { &stmts[ST_M_ID], &stmts[ST_M_ID_D] } },
	{ "username", { &stmts[ST_NAME], &stmts[ST_NAME_D] },
	    { &stmts[ST_M_NAME], &stmts[ST_M_NAME_D] } },
	{ "email", { &stmts[ST_EMAIL], &stmts[ST_EMAIL_D] },
	    { &stmts[ST_M_EMAIL], &stmts[ST_M_EMAIL_D] } },
};

static const struct api_listdef listdef = {
	"users", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], 2, 1, NULL, NULL, 0,
};

/* settings: only for the user themself, from 1.2. */
static void
write_user(struct api *a, const struct dbres *res, int row, int detail)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, 0);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url(w, "url", a->prefix_j, "/users/", id, "/");
	jw_str(w, "username", dbres_str(res, row, 1));
	jw_str(w, "first_name", dbres_str(res, row, 2));
	jw_str(w, "last_name", dbres_str(res, row, 3));
	jw_str(w, "email", dbres_str(res, row, 4));
	if (detail && API_HAS(a, 12) && id == a->user_id) {
		jw_obj(w, "settings");
		jw_bool(w, "send_email", dbres_bool(res, row, 5));
		jw_i64(w, "items_per_page", dbres_i64(res, row, 6));
		jw_bool(w, "show_ids", dbres_bool(res, row, 7));
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/*
 * GET users/: 403 for anonymous; else 200 with a page of users (q over
 * username, first and last name, email; order id, username, email).
 */
int
api_user_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 || (st = api_need_user(&a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	api_param_search(&a, &l.params[0]);
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	rows = db_run(r->db, &stmts[ST_ROWS], DB_STR(api_list_ids(&a, &l)));
	if (rows == NULL)
		return api_db_error(&a);
	jw_arr(&a.jw, NULL);
	for (i = 0; i < dbres_rows(rows); i++)
		write_user(&a, rows, i, 0);
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/*
 * GET users/{id}/: 403 for anonymous, 404 if missing, else 200; with
 * "settings" when the requester is that user (1.2+).
 */
int
api_user_detail(struct req *r)
{
	struct api a;
	struct dbres *res;
	int64_t id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0 || (st = api_need_user(&a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	if ((res = db_run(r->db, &stmts[ST_DETAIL], DB_I64(id))) == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, "User");
	write_user(&a, res, 0, 1);
	return 200;
}
