/*
 * GET /api/[v/]people/ and /api/[v/]people/{id}/ (REST spec 12.3).
 * Authenticated users only: anonymous requests get 403, as in Django.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * $1: the first q pattern (its own condition, so that the trigram index
 * on name and email serves it), $2: all patterns (text[]).
 */
#define PERSON_WHERE \
	" WHERE ($1::text IS NULL OR p.name ILIKE $1 OR p.email ILIKE $1)" \
	" AND ($2::text[] IS NULL OR NOT EXISTS (SELECT 1" \
	" FROM unnest($2::text[]) t WHERE NOT (p.name ILIKE t" \
	" OR p.email ILIKE t)))"
/* $3, $4: keyset (sort key as text, id); $5 limit, $6 offset. */
#define PERSON_PAGE(key, type, cmp, ord) \
	"SELECT p.id, (SELECT pg_current_snapshot()::text) FROM person p" \
	PERSON_WHERE " AND ($3::text IS NULL OR (" key ", p.id) " cmp \
	" ($3::text::" type ", $4::bigint)) ORDER BY " ord \
	" LIMIT $5 OFFSET $6"
#define PERSON_MARKS(key, ord) \
	"SELECT k::text, id FROM (SELECT " key " AS k, p.id, row_number()" \
	" OVER (ORDER BY " ord ") AS rn FROM person p" PERSON_WHERE ") x" \
	" WHERE rn > 1 AND (rn - 1) % $3 = 0 ORDER BY rn"

#define PERSON_COLS API_COLS_PERSON("p") ", " API_COLS_USER("u")

enum {
	ST_COUNT,
	ST_ID, ST_ID_D, ST_NAME, ST_NAME_D, ST_EMAIL, ST_EMAIL_D,
	ST_M_ID, ST_M_ID_D, ST_M_EMAIL, ST_M_EMAIL_D,
	ST_ROWS,
	ST_DETAIL,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_person_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM person p"
	    PERSON_WHERE, 2 },
	[ST_ID] = { "api_person_p_id",
	    PERSON_PAGE("p.id", "bigint", ">=", "p.id"), 6 },
	[ST_ID_D] = { "api_person_p_id_d",
	    PERSON_PAGE("p.id", "bigint", "<=", "p.id DESC"), 6 },
	/* Names may be NULL: no marks, OFFSET from the nearer end. */
	[ST_NAME] = { "api_person_p_name",
	    PERSON_PAGE("p.name", "text", ">=", "p.name, p.id"), 6 },
	[ST_NAME_D] = { "api_person_p_name_d",
	    PERSON_PAGE("p.name", "text", "<=", "p.name DESC, p.id DESC"), 6 },
	[ST_EMAIL] = { "api_person_p_email",
	    PERSON_PAGE("p.email", "text", ">=", "p.email, p.id"), 6 },
	[ST_EMAIL_D] = { "api_person_p_email_d",
	    PERSON_PAGE("p.email", "text", "<=",
	    "p.email DESC, p.id DESC"), 6 },
	[ST_M_ID] = { "api_person_m_id", PERSON_MARKS("p.id", "p.id"), 3 },
	[ST_M_ID_D] = { "api_person_m_id_d",
	    PERSON_MARKS("p.id", "p.id DESC"), 3 },
	[ST_M_EMAIL] = { "api_person_m_email",
	    PERSON_MARKS("p.email", "p.email, p.id"), 3 },
	[ST_M_EMAIL_D] = { "api_person_m_email_d",
	    PERSON_MARKS("p.email", "p.email DESC, p.id DESC"), 3 },
	[ST_ROWS] = { "api_person_rows",
	    "SELECT " PERSON_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN person p ON p.id = o.id"
	    " LEFT JOIN auth_user u ON u.id = p.user_id ORDER BY o.n", 1 },
	[ST_DETAIL] = { "api_person_detail",
	    "SELECT " PERSON_COLS " FROM person p"
	    " LEFT JOIN auth_user u ON u.id = p.user_id WHERE p.id = $1", 1 },
};

static const struct api_order orders[] = {
	{ "id", { &stmts[ST_ID], &stmts[ST_ID_D] },
	    { &stmts[ST_M_ID], &stmts[ST_M_ID_D] } },
	{ "name", { &stmts[ST_NAME], &stmts[ST_NAME_D] }, { NULL, NULL } },
	{ "email", { &stmts[ST_EMAIL], &stmts[ST_EMAIL_D] },
	    { &stmts[ST_M_EMAIL], &stmts[ST_M_EMAIL_D] } },
};

static const struct api_listdef listdef = {
	"people", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], 2, 1, NULL, NULL, 0,
};

static void
write_person(struct api *a, const struct dbres *res, int row)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, 0);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url(w, "url", a->prefix_j, "/people/", id, "/");
	jw_str(w, "name", dbres_str(res, row, 1));
	jw_str(w, "email", dbres_str(res, row, 2));
	api_embed_user(a, "user", res, row, API_NCOLS_PERSON);
	jw_obj_end(w);
}

/*
 * GET people/: 403 for anonymous; else 200 with a page of people (q over
 * name and email; order id, name, email).  Two statements after the
 * page: rows with their users joined.
 */
int
api_person_list(struct req *r)
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
		write_person(&a, rows, i);
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/* GET people/{id}/: 403 for anonymous, 404 if missing, else 200. */
int
api_person_detail(struct req *r)
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
		return api_not_found(&a, "Person");
	write_person(&a, res, 0);
	return 200;
}
