/*
 * Downloads the API links to (REST spec 14): patch, cover, series and
 * bundle mboxes and a patch's raw diff, under the web URLs Django uses.
 *
 * Messages are fetched in batches of BATCH (one statement for the rows,
 * one for the comments that carry review trailers), so a series of a
 * thousand patches costs the same per patch as one patch, and memory
 * stays bounded: once more than STREAM_AT bytes are waiting, the
 * response goes out as a stream (resp_stream()).  Smaller downloads are
 * sent whole, with a Content-Length, so a database failure before the end
 * still becomes a clean 503.
 *
 * These are web pages, not API views: credentials that do not check out
 * make a request anonymous rather than failing it (git-pw and pwclient
 * send theirs everywhere), and errors are HTML pages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "mboxfmt.h"
#include "pwfcgi.h"

#define BATCH		32
#define STREAM_AT	(256 * 1024)

/* A comment with a review trailer; others are not worth fetching. */
#define TRAILER_SQL \
	"'(?n)^(tested|reviewed|acked|signed-off|nacked|reported)-by:'"

enum {
	ST_DL_PATCH_BY_MSGID,
	ST_DL_COVER_BY_MSGID,
	ST_DL_PATCH_BY_ID,
	ST_DL_COVER_BY_ID,
	ST_DL_PATCH_ROWS,
	ST_DL_COVER_ROWS,
	ST_DL_PATCH_COMMENTS,
	ST_DL_COVER_COMMENTS,
	ST_DL_PATCH_ROW1,
	ST_DL_COVER_ROW1,
	ST_DL_PATCH_COMMENTS1,
	ST_DL_COVER_COMMENTS1,
	ST_DL_DEPS,
	ST_DL_SERIES,
	ST_DL_SERIES_PATCHES,
	ST_DL_BUNDLE,
	ST_DL_BUNDLE_PATCHES,
	ST_DL__MAX
};

#define PATCH_ROW_JOINS \
	" JOIN person s ON s.id = p.submitter_id" \
	" JOIN project pr ON pr.id = p.project_id" \
	" LEFT JOIN auth_user d ON d.id = p.delegate_id"
#define COVER_ROW_JOINS \
	" JOIN person s ON s.id = c.submitter_id" \
	" JOIN project pr ON pr.id = c.project_id"
#define SUB_COLS(t) t ".id, floor(extract(epoch FROM " t ".date))::bigint," \
	" " t ".headers, " t ".content, s.name, s.email, pr.listemail"

static const struct stmt_def stmts[ST_DL__MAX] = {
	[ST_DL_PATCH_BY_MSGID] = { "dl_patch_by_msgid",
	    "SELECT p.id, p.name, p.series_id, p.number, p.diff"
	    " FROM patch p JOIN project pr ON pr.id = p.project_id"
	    " WHERE p.msgid = $2 AND pr.linkname = $1", 2 },
	[ST_DL_COVER_BY_MSGID] = { "dl_cover_by_msgid",
	    "SELECT c.id, c.name FROM cover c"
	    " JOIN project pr ON pr.id = c.project_id"
	    " WHERE c.msgid = $2 AND pr.linkname = $1", 2 },
	[ST_DL_PATCH_BY_ID] = { "dl_patch_by_id",
	    "SELECT pr.linkname, p.msgid FROM patch p"
	    " JOIN project pr ON pr.id = p.project_id WHERE p.id = $1", 1 },
	[ST_DL_COVER_BY_ID] = { "dl_cover_by_id",
	    "SELECT pr.linkname, c.msgid FROM cover c"
	    " JOIN project pr ON pr.id = c.project_id WHERE c.id = $1", 1 },
	/*
	 * Rows of a batch, in the order of $1, and the comments with
	 * trailers.  A batch of one (every single patch or cover download)
	 * has statements of its own with a scalar id: PostgreSQL prices
	 * the generic plan of "= ANY($1)" for more elements than one, so
	 * it would plan the array form afresh at every call, and planning
	 * the regular expression's selectivity costs more than the whole
	 * execution.  The expression is a literal for the same reason.
	 */
	[ST_DL_PATCH_ROWS] = { "dl_patch_rows",
	    "SELECT " SUB_COLS("p") ", p.diff, d.email"
	    " FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, n)"
	    " JOIN patch p ON p.id = x.id" PATCH_ROW_JOINS " ORDER BY x.n", 1 },
	[ST_DL_COVER_ROWS] = { "dl_cover_rows",
	    "SELECT " SUB_COLS("c") ", NULL, NULL"
	    " FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, n)"
	    " JOIN cover c ON c.id = x.id" COVER_ROW_JOINS " ORDER BY x.n", 1 },
	[ST_DL_PATCH_COMMENTS] = { "dl_patch_comments",
	    "SELECT patch_id, content FROM patch_comment"
	    " WHERE patch_id = ANY ($1::bigint[]) AND content ~* " TRAILER_SQL
	    " ORDER BY patch_id, date, id", 1 },
	[ST_DL_COVER_COMMENTS] = { "dl_cover_comments",
	    "SELECT cover_id, content FROM cover_comment"
	    " WHERE cover_id = ANY ($1::bigint[]) AND content ~* " TRAILER_SQL
	    " ORDER BY cover_id, date, id", 1 },
	[ST_DL_PATCH_ROW1] = { "dl_patch_row1",
	    "SELECT " SUB_COLS("p") ", p.diff, d.email FROM patch p"
	    PATCH_ROW_JOINS " WHERE p.id = $1", 1 },
	[ST_DL_COVER_ROW1] = { "dl_cover_row1",
	    "SELECT " SUB_COLS("c") ", NULL, NULL FROM cover c"
	    COVER_ROW_JOINS " WHERE c.id = $1", 1 },
	[ST_DL_PATCH_COMMENTS1] = { "dl_patch_comments1",
	    "SELECT patch_id, content FROM patch_comment"
	    " WHERE patch_id = $1 AND content ~* " TRAILER_SQL
	    " ORDER BY date, id", 1 },
	[ST_DL_COVER_COMMENTS1] = { "dl_cover_comments1",
	    "SELECT cover_id, content FROM cover_comment"
	    " WHERE cover_id = $1 AND content ~* " TRAILER_SQL
	    " ORDER BY date, id", 1 },
	/* The patches of a series before number $2. */
	[ST_DL_DEPS] = { "dl_deps",
	    "SELECT id FROM patch WHERE series_id = $1 AND number < $2"
	    " ORDER BY number", 2 },
	[ST_DL_SERIES] = { "dl_series",
	    "SELECT name FROM series WHERE id = $1", 1 },
	[ST_DL_SERIES_PATCHES] = { "dl_series_patches",
	    "SELECT id FROM patch WHERE series_id = $1 ORDER BY number, id",
	    1 },
	[ST_DL_BUNDLE] = { "dl_bundle",
	    "SELECT b.id, b.name, b.public, b.owner_id FROM bundle b"
	    " JOIN auth_user u ON u.id = b.owner_id"
	    " WHERE u.username = $1 AND b.name = $2", 2 },
	[ST_DL_BUNDLE_PATCHES] = { "dl_bundle_patches",
	    "SELECT patch_id FROM bundle_patch WHERE bundle_id = $1"
	    " ORDER BY position, patch_id", 1 },
};

/* The Message-Id of a URL segment: "%2F" was a '/' (spec 2.11). */
static const char *
msgid_of(struct req *r, const char *seg)
{
	struct buf b = BUF_INIT;
	const char *p, *s;

	buf_addc(&b, '<');
	for (p = seg; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) {
			buf_addc(&b, '/');
			p += 2;
		} else
			buf_addc(&b, *p);
	}
	buf_addc(&b, '>');
	s = arena_strdup(r->arena, b.s);
	buf_release(&b);
	return s;
}

/* A Message-Id as a URL segment: <> off, then percent-encoded. */
static const char *
msgid_url(struct req *r, const char *msgid)
{
	struct buf b = BUF_INIT;
	const char *p, *s;
	size_t n = strlen(msgid);

	if (n >= 2 && msgid[0] == '<' && msgid[n - 1] == '>') {
		msgid++;
		n -= 2;
	}
	for (p = msgid; p < msgid + n; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@", c))
			buf_addc(&b, c);
		else
			buf_addf(&b, "%%%02X", c);
	}
	s = arena_strdup(r->arena, b.s);
	buf_release(&b);
	return s;
}

static const char *
ids_literal(struct req *r, const int64_t *ids, size_t n)
{
	struct buf b = BUF_INIT;
	const char *s;
	size_t i;

	buf_addc(&b, '{');
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_addc(&b, '}');
	s = arena_strdup(r->arena, b.s);
	buf_release(&b);
	return s;
}

static int
dberr(struct req *r)
{
	return r->db->err == DB_UNAVAILABLE ? 503 : 500;
}

/*
 * Write the messages of ids (patches, or covers when cover is set) in
 * order, joined by "\n" (*first tracks the joins across calls).  0, or
 * -1 on a database failure.
 */
static int
emit(struct req *r, int cover, const int64_t *ids, size_t n, int *first)
{
	struct mboxfmt_msg m;
	struct dbres *rows, *com;
	const char *lit, **cs;
	size_t i, k, j, cnt, c0;
	int ncom, ci = 0;

	for (i = 0; i < n; i += cnt) {
		cnt = n - i < BATCH ? n - i : BATCH;
		if (cnt == 1) {
			rows = db_run(r->db, &stmts[cover ? ST_DL_COVER_ROW1 :
			    ST_DL_PATCH_ROW1], DB_I64(ids[i]));
			com = rows == NULL ? NULL : db_run(r->db,
			    &stmts[cover ? ST_DL_COVER_COMMENTS1 :
			    ST_DL_PATCH_COMMENTS1], DB_I64(ids[i]));
		} else {
			lit = ids_literal(r, ids + i, cnt);
			rows = db_run(r->db, &stmts[cover ? ST_DL_COVER_ROWS :
			    ST_DL_PATCH_ROWS], DB_STR(lit));
			com = rows == NULL ? NULL : db_run(r->db,
			    &stmts[cover ? ST_DL_COVER_COMMENTS :
			    ST_DL_PATCH_COMMENTS], DB_STR(lit));
		}
		if (rows == NULL || com == NULL)
			return -1;
		ncom = dbres_rows(com);
		cs = ARENA_NEW(r->arena, const char *, (size_t)ncom + 1);
		for (k = 0; k < (size_t)dbres_rows(rows); k++) {
			memset(&m, 0, sizeof(m));
			m.id = dbres_i64(rows, (int)k, 0);
			m.date = dbres_i64(rows, (int)k, 1);
			m.headers = dbres_str(rows, (int)k, 2);
			m.content = dbres_str(rows, (int)k, 3);
			m.submitter_name = dbres_str(rows, (int)k, 4);
			m.submitter_email = dbres_str(rows, (int)k, 5);
			m.list_email = dbres_str(rows, (int)k, 6);
			m.diff = dbres_str(rows, (int)k, 7);
			m.delegate_email = dbres_str(rows, (int)k, 8);
			/* This message's comments, in date order. */
			c0 = 0;
			for (ci = 0; ci < ncom; ci++)
				if (dbres_i64(com, ci, 0) == m.id)
					cs[c0++] = dbres_str(com, ci, 1);
			m.comments = cs;
			m.ncomments = c0;
			if (!*first)
				buf_addc(&r->out, '\n');
			*first = 0;
			mboxfmt_write(&r->out, &m);
			for (j = 0; j < c0; j++)
				cs[j] = NULL;
			if (r->out.len >= STREAM_AT)
				resp_stream(r);
		}
	}
	return 0;
}

static void
disposition(struct req *r, const char *prefix, const char *name,
    const char *fallback, const char *ext)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, prefix);
	mboxfmt_filename(&b, name, fallback);
	resp_header(r, "Content-Disposition", "attachment; filename=%s%s",
	    b.s, ext);
	buf_release(&b);
}

/* After a stream started, a failure can only cut the body short. */
static int
finish(struct req *r, int rc)
{
	if (rc == 0)
		return 200;
	if (r->streaming) {
		log_warnx("download cut short: database failure");
		return 200;
	}
	return dberr(r);
}

/*
 * GET /project/{linkname}/patch/{msgid}/mbox/: the patch as mbox; with
 * ?series=* (or ?series=ID, the patch's own series) the patches of its
 * series numbered before it come first.  404 for no such patch, a patch
 * without a series, or a series that is not the patch's.
 */
int
dl_patch_mbox(struct req *r)
{
	const char *series = NULL, *name;
	struct dbres *res, *deps;
	int64_t id, sid, want, *ids;
	size_t n = 0, i;
	int first = 1;

	res = db_run(r->db, &stmts[ST_DL_PATCH_BY_MSGID],
	    DB_STR(req_param(r, "linkname")),
	    DB_STR(msgid_of(r, req_param(r, "msgid"))));
	if (res == NULL)
		return dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, NULL);
	id = dbres_i64(res, 0, 0);
	name = dbres_str(res, 0, 1);
	sid = dbres_i64(res, 0, 2);
	/* The last ?series= counts; an empty one is none (Django). */
	for (i = r->nargs; i-- > 0;)
		if (strcmp(r->args[i].key, "series") == 0) {
			series = r->args[i].val;
			break;
		}
	ids = &id;
	n = 1;
	if (series != NULL && *series != '\0') {
		if (strcmp(series, "*") != 0) {
			char *end;

			want = strtoll(series, &end, 10);
			if (*end != '\0' || end == series)
				return resp_error(r, 404, "Expected integer "
				    "series value or *.");
			if (sid == 0 || want != sid)
				return resp_error(r, 404, "Patch does not "
				    "belong to that series.");
		}
		if (sid == 0)
			return resp_error(r, 404, "Patch does not have an "
			    "associated series.");
		deps = db_run(r->db, &stmts[ST_DL_DEPS], DB_I64(sid),
		    DB_I64(dbres_isnull(res, 0, 3) ? 0 : dbres_i64(res, 0, 3)));
		if (deps == NULL)
			return dberr(r);
		n = (size_t)dbres_rows(deps) + 1;
		ids = ARENA_NEW(r->arena, int64_t, n);
		for (i = 0; i + 1 < n; i++)
			ids[i] = dbres_i64(deps, (int)i, 0);
		ids[n - 1] = id;
	}
	r->ctype = "text/plain; charset=utf-8";
	disposition(r, "", name, "patch", ".patch");
	return finish(r, emit(r, 0, ids, n, &first));
}

/* GET /project/{linkname}/patch/{msgid}/raw/: the diff alone. */
int
dl_patch_raw(struct req *r)
{
	struct dbres *res;
	const char *diff;

	res = db_run(r->db, &stmts[ST_DL_PATCH_BY_MSGID],
	    DB_STR(req_param(r, "linkname")),
	    DB_STR(msgid_of(r, req_param(r, "msgid"))));
	if (res == NULL)
		return dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, NULL);
	r->ctype = "text/x-patch";
	disposition(r, "", dbres_str(res, 0, 1), "patch", ".diff");
	if ((diff = dbres_str(res, 0, 4)) != NULL)
		buf_add(&r->out, diff, dbres_len(res, 0, 4));
	return 200;
}

/* GET /project/{linkname}/cover/{msgid}/mbox/. */
int
dl_cover_mbox(struct req *r)
{
	struct dbres *res;
	int64_t id;
	int first = 1;

	res = db_run(r->db, &stmts[ST_DL_COVER_BY_MSGID],
	    DB_STR(req_param(r, "linkname")),
	    DB_STR(msgid_of(r, req_param(r, "msgid"))));
	if (res == NULL)
		return dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, NULL);
	id = dbres_i64(res, 0, 0);
	r->ctype = "text/plain";
	disposition(r, "", dbres_str(res, 0, 1), "cover", ".mbox");
	return finish(r, emit(r, 1, &id, 1, &first));
}

/* GET /series/{id}/mbox/: its patches by number, no cover letter. */
int
dl_series_mbox(struct req *r)
{
	struct dbres *res, *pl;
	const char *name;
	int64_t sid, *ids;
	size_t n, i;
	int first = 1;

	req_param_i64(r, "id", &sid);
	if ((res = db_run(r->db, &stmts[ST_DL_SERIES], DB_I64(sid))) == NULL)
		return dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, NULL);
	name = dbres_str(res, 0, 0);
	if (name == NULL)
		name = arena_printf(r->arena, "Untitled series #%lld",
		    (long long)sid);
	pl = db_run(r->db, &stmts[ST_DL_SERIES_PATCHES], DB_I64(sid));
	if (pl == NULL)
		return dberr(r);
	n = (size_t)dbres_rows(pl);
	ids = ARENA_NEW(r->arena, int64_t, n + 1);
	for (i = 0; i < n; i++)
		ids[i] = dbres_i64(pl, (int)i, 0);
	r->ctype = "text/plain";
	disposition(r, "", name, "series", ".patch");
	return finish(r, emit(r, 0, ids, n, &first));
}

/*
 * GET /bundle/{username}/{name}/mbox/: public bundles for anyone, a
 * private one for its owner only (session, Basic or token), else 404.
 */
int
dl_bundle_mbox(struct req *r)
{
	struct dbres *res, *pl;
	int64_t bid, *ids;
	size_t n, i;
	int first = 1;

	if (auth_optional(r) != 0)
		return 503;
	res = db_run(r->db, &stmts[ST_DL_BUNDLE],
	    DB_STR(req_param(r, "username")), DB_STR(req_param(r, "name")));
	if (res == NULL)
		return dberr(r);
	if (dbres_rows(res) == 0 || (!dbres_bool(res, 0, 2) &&
	    (r->user == NULL || r->user->id != dbres_i64(res, 0, 3))))
		return resp_error(r, 404, NULL);
	bid = dbres_i64(res, 0, 0);
	pl = db_run(r->db, &stmts[ST_DL_BUNDLE_PATCHES], DB_I64(bid));
	if (pl == NULL)
		return dberr(r);
	n = (size_t)dbres_rows(pl);
	ids = ARENA_NEW(r->arena, int64_t, n + 1);
	for (i = 0; i < n; i++)
		ids[i] = dbres_i64(pl, (int)i, 0);
	r->ctype = "text/plain";
	disposition(r, arena_printf(r->arena, "bundle-%lld-", (long long)bid),
	    dbres_str(res, 0, 1), "bundle", ".mbox");
	return finish(r, emit(r, 0, ids, n, &first));
}

/* /patch/{id}/mbox/ and friends: 302 to the URL by Message-Id. */
static int
redirect(struct req *r, int cover, const char *what)
{
	struct dbres *res;
	int64_t id;

	req_param_i64(r, "id", &id);
	res = db_run(r->db, &stmts[cover ? ST_DL_COVER_BY_ID :
	    ST_DL_PATCH_BY_ID], DB_I64(id));
	if (res == NULL)
		return dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, NULL);
	return resp_redirect(r, 302, arena_printf(r->arena,
	    "/project/%s/%s/%s/%s/%s%s", msgid_url(r, dbres_str(res, 0, 0)),
	    cover ? "cover" : "patch", msgid_url(r, dbres_str(res, 0, 1)),
	    what, *r->query ? "?" : "", r->query));
}

int
dl_patch_mbox_by_id(struct req *r)
{
	return redirect(r, 0, "mbox");
}

int
dl_patch_raw_by_id(struct req *r)
{
	return redirect(r, 0, "raw");
}

int
dl_cover_mbox_by_id(struct req *r)
{
	return redirect(r, 1, "mbox");
}
