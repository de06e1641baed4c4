/*
 * Comments of patches and of cover letters (REST spec 7):
 *   GET patches/{id}/comments/ and covers/{id}/comments/       (1.1+)
 *   GET patches/{id}/comments/{cid}/ and covers/.../{cid}/     (1.3+)
 * Anyone may read.  The two kinds share everything but their tables, so
 * the statements are written once as macros of the table names.
 *
 * "subject" is not a column: it is the Subject header of the stored
 * block, as Python's email parser reads it (first line, folded lines
 * kept).  Search and ordering use the same value, extracted in SQL.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

#define SUBJ \
	"coalesce(substring(c.headers from" \
	" '(?in)^subject:[ \\t]*(.*(?:\\n[ \\t].*)*)'), '')"

/* $1 parent id, $2 first q pattern, $3 all q patterns. */
#define COMMENT_NF	3
#define COMMENT_WHERE(fk) \
	" WHERE c." fk " = $1" \
	" AND ($2::text IS NULL OR " SUBJ " ILIKE $2)" \
	" AND ($3::text[] IS NULL OR " SUBJ " ILIKE ALL ($3::text[]))"
#define COMMENT_PAGE(tbl, fk, ord) \
	"SELECT c.id, (SELECT pg_current_snapshot()::text) FROM " tbl " c" \
	COMMENT_WHERE(fk) " ORDER BY " ord " LIMIT $4 OFFSET $5"

#define COMMENT_COLS(fk) "c.id, c.msgid, c.date, c.headers, c.content," \
	" c.addressed, c." fk ", pr.linkname, pr.list_archive_url_format, " \
	API_COLS_PERSON("pe")
#define COMMENT_JOINS(ptbl, fk) \
	" JOIN person pe ON pe.id = c.submitter_id" \
	" JOIN " ptbl " par ON par.id = c." fk \
	" JOIN project pr ON pr.id = par.project_id"
enum {
	C_ID, C_MSGID, C_DATE, C_HEADERS, C_CONTENT, C_ADDRESSED, C_PARENT,
	C_LINKNAME, C_ARCHIVE, C_PERSON
};

#define COMMENT_ORDERS(X) \
	X(ID, "id", "c.id", "c.id DESC") \
	X(SUBJECT, "subject", SUBJ ", c.id", SUBJ " DESC, c.id DESC") \
	X(DATE, "date", "c.date, c.id", "c.date DESC, c.id DESC") \
	X(SUBMITTER, "submitter", "c.submitter_id, c.id", \
	    "c.submitter_id DESC, c.id DESC")

enum {
	ST_PARENT,
	ST_COUNT,
#define X(E, n, asc, desc) ST_P_##E, ST_PD_##E,
	COMMENT_ORDERS(X)
#undef X
	ST_ROWS,
	ST_DETAIL,
	ST__MAX
};

/* The statements of one kind of comment. */
#define COMMENT_STMTS(pfx, tbl, ptbl, fk) { \
	[ST_PARENT] = { pfx "parent", \
	    "SELECT 1 FROM " ptbl " WHERE id = $1", 1 }, \
	[ST_COUNT] = { pfx "count", \
	    "SELECT count(*), pg_current_snapshot()::text FROM " tbl " c" \
	    COMMENT_WHERE(fk), COMMENT_NF }, \
	COMMENT_ORDERS(X) \
	[ST_ROWS] = { pfx "rows", \
	    "SELECT " COMMENT_COLS(fk) " FROM unnest($1::bigint[])" \
	    " WITH ORDINALITY AS o(id, n) JOIN " tbl " c ON c.id = o.id" \
	    COMMENT_JOINS(ptbl, fk) " ORDER BY o.n", 1 }, \
	/* No row: no parent; a row with a NULL id: no such comment. */ \
	[ST_DETAIL] = { pfx "detail", \
	    "SELECT " COMMENT_COLS(fk) " FROM " ptbl " par0" \
	    " LEFT JOIN (" tbl " c" COMMENT_JOINS(ptbl, fk) ")" \
	    " ON c." fk " = par0.id AND c.id = $2 WHERE par0.id = $1", 2 }, \
}

#define X(E, n, asc, desc) \
	[ST_P_##E] = { PFX "p_" n, COMMENT_PAGE(TBL, FK, asc), \
	    COMMENT_NF + 2 }, \
	[ST_PD_##E] = { PFX "pd_" n, COMMENT_PAGE(TBL, FK, desc), \
	    COMMENT_NF + 2 },
#define PFX "api_pcomment_"
#define TBL "patch_comment"
#define FK "patch_id"
static const struct stmt_def pstmts[ST__MAX] =
    COMMENT_STMTS(PFX, TBL, "patch", FK);
#undef PFX
#undef TBL
#undef FK
#define PFX "api_ccomment_"
#define TBL "cover_comment"
#define FK "cover_id"
static const struct stmt_def cstmts[ST__MAX] =
    COMMENT_STMTS(PFX, TBL, "cover", FK);
#undef PFX
#undef TBL
#undef FK
#undef X

#define ORDERS(s) { \
	{ "id", { &s[ST_P_ID], &s[ST_PD_ID] }, { NULL, NULL } }, \
	{ "subject", { &s[ST_P_SUBJECT], &s[ST_PD_SUBJECT] }, \
	    { NULL, NULL } }, \
	{ "date", { &s[ST_P_DATE], &s[ST_PD_DATE] }, { NULL, NULL } }, \
	{ "submitter", { &s[ST_P_SUBMITTER], &s[ST_PD_SUBMITTER] }, \
	    { NULL, NULL } }, \
}
static const struct api_order porders[] = ORDERS(pstmts);
static const struct api_order corders[] = ORDERS(cstmts);

static const struct api_listdef plistdef = {
	"patch-comments", porders, 4, 0, &pstmts[ST_COUNT], COMMENT_NF, 0,
	NULL, NULL, 0,
};
static const struct api_listdef clistdef = {
	"cover-comments", corders, 4, 0, &cstmts[ST_COUNT], COMMENT_NF, 0,
	NULL, NULL, 0,
};

struct kind {
	const char		*slashed;	/* "/patches/" */
	const char		*parent;	/* "Patch" for 404s */
	const char		*model;		/* "PatchComment" */
	const struct stmt_def	*stmts;
	const struct api_listdef *list;
};

static const struct kind patch_kind = {
	"/patches/", "Patch", "PatchComment", pstmts, &plistdef,
};
static const struct kind cover_kind = {
	"/covers/", "Cover", "CoverComment", cstmts, &clistdef,
};

static void
write_comment(struct api *a, const struct kind *k, const struct dbres *res,
    int row)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, C_ID);
	const char *msgid = dbres_str(res, row, C_MSGID);
	const char *headers = dbres_str(res, row, C_HEADERS);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	if (API_HAS(a, 13))
		jw_url2(w, "url", a->prefix_j, k->slashed,
		    dbres_i64(res, row, C_PARENT), "/comments/", id, "/");
	jw_url(w, "web_url", a->base_j, "/comment/", id, "/");
	jw_str(w, "msgid", msgid);
	if (API_HAS(a, 12))
		jw_str(w, "list_archive_url", api_archive_url(a,
		    dbres_str(res, row, C_ARCHIVE), msgid));
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	jw_str(w, "subject", api_header_subject(a, headers));
	api_embed_person(a, "submitter", res, row, C_PERSON);
	jw_str(w, "content", dbres_str(res, row, C_CONTENT));
	api_headers(a, "headers", headers);
	if (API_HAS(a, 13)) {
		if (dbres_isnull(res, row, C_ADDRESSED))
			jw_null(w, "addressed");
		else
			jw_bool(w, "addressed",
			    dbres_bool(res, row, C_ADDRESSED));
	}
	jw_obj_end(w);
}

static int
comment_list(struct req *r, const struct kind *k)
{
	struct api a;
	struct api_list l;
	struct dbres *res;
	int64_t parent = 0;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, k->list)) != 0)
		return st;
	req_param_i64(r, "id", &parent);
	res = db_run(r->db, &k->stmts[ST_PARENT], DB_I64(parent));
	if (res == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, k->parent);
	l.params[0] = DB_I64(parent);
	api_param_search(&a, &l.params[1]);
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	jw_arr(&a.jw, NULL);
	if (l.nids > 0) {
		res = db_run(r->db, &k->stmts[ST_ROWS],
		    DB_STR(api_list_ids(&a, &l)));
		if (res == NULL)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(res); i++)
			write_comment(&a, k, res, i);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

static int
comment_detail(struct req *r, const struct kind *k)
{
	struct api a;
	struct dbres *res;
	int64_t parent = 0, id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	req_param_i64(r, "id", &parent);
	req_param_i64(r, "cid", &id);
	res = db_run(r->db, &k->stmts[ST_DETAIL], DB_I64(parent), DB_I64(id));
	if (res == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, k->parent);
	if (dbres_isnull(res, 0, C_ID))
		return api_not_found(&a, k->model);
	write_comment(&a, k, res, 0);
	return 200;
}

/*
 * GET patches/{id}/comments/ (1.1+): 200 with a page of the patch's
 * comments (q on the subject; order id, subject, date, submitter);
 * 404 {"detail":"No Patch matches the given query."}.
 */
int
api_patch_comment_list(struct req *r)
{
	return comment_list(r, &patch_kind);
}

/* GET covers/{id}/comments/ (1.1+): the same for a cover letter. */
int
api_cover_comment_list(struct req *r)
{
	return comment_list(r, &cover_kind);
}

/*
 * GET patches/{id}/comments/{cid}/ (1.3+): 200 with the comment; 404
 * when the patch is missing ("No Patch ...") or the comment is not one
 * of its own ("No PatchComment matches the given query.").
 */
int
api_patch_comment_detail(struct req *r)
{
	return comment_detail(r, &patch_kind);
}

/* GET covers/{id}/comments/{cid}/ (1.3+): the same for a cover letter. */
int
api_cover_comment_detail(struct req *r)
{
	return comment_detail(r, &cover_kind);
}
