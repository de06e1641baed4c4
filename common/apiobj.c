/*
 * Embedded representations and their URLs; see apiobj.h.
 */
#include <ctype.h>
#include <string.h>

#include "apiobj.h"
#include "arena.h"
#include "buf.h"
#include "db.h"
#include "json.h"

void
apiout_init(struct apiout *o, struct jw *w, int version, const char *base_j,
    const char *prefix_j, struct arena *arena, struct buf *tmp)
{
	memset(o, 0, sizeof(*o));
	o->w = w;
	o->version = version;
	o->base_j = base_j;
	o->prefix_j = prefix_j;
	o->arena = arena;
	o->tmp = tmp;
}

/* URLs ------------------------------------------------------------------ */

/*
 * spec 2.11: the msgid without <>, "/" written "%2F", then the segment
 * percent-encoded keeping unreserved characters and !$&'()*+,;=:@~ (so
 * the "%" of "%2F" becomes "%25", as Django's reverse() does).
 */
const char *
apiout_msgid_url(struct apiout *o, const char *msgid)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s = msgid, *e;
	struct buf *b = o->tmp;

	if (msgid == NULL)
		return "";
	if (msgid == o->enc_for)
		return o->enc_msgid;
	e = s + strlen(s);
	while (s < e && (*s == '<' || *s == '>'))
		s++;
	while (e > s && (e[-1] == '<' || e[-1] == '>'))
		e--;
	buf_reset(b);
	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '/')
			buf_add(b, "%252F", 5);
		else if (isalnum(c) || strchr("-._~!$&'()*+,;=:@", c) != NULL)
			buf_addc(b, c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	o->enc_for = msgid;
	o->enc_msgid = arena_strndup(o->arena, b->s, b->len);
	return o->enc_msgid;
}

const char *
apiout_archive_url(struct apiout *o, const char *fmt, const char *msgid)
{
	const char *s, *e, *p;
	struct buf *b = o->tmp;

	if (fmt == NULL || *fmt == '\0' || msgid == NULL || *msgid == '\0')
		return NULL;
	s = msgid;
	e = s + strlen(s);
	while (s < e && (*s == '<' || *s == '>'))
		s++;
	while (e > s && (e[-1] == '<' || e[-1] == '>'))
		e--;
	buf_reset(b);
	while ((p = strstr(fmt, "{}")) != NULL) {
		buf_add(b, fmt, (size_t)(p - fmt));
		buf_add(b, s, (size_t)(e - s));
		fmt = p + 2;
	}
	buf_adds(b, fmt);
	return arena_strndup(o->arena, b->s, b->len);
}

/* base/project/LINKNAME/KIND/MSGID/ + tail, as a JSON string. */
static void
msgid_url(struct apiout *o, const char *key, const char *kind,
    const char *linkname, const char *msgid, const char *tail)
{
	struct buf *b = o->w->b;
	const char *enc = apiout_msgid_url(o, msgid);

	jw_key(o->w, key);
	buf_addc(b, '"');
	buf_adds(b, o->base_j);
	buf_add(b, "/project/", 9);
	json_escape(b, linkname, strlen(linkname));
	buf_addc(b, '/');
	buf_adds(b, kind);
	buf_addc(b, '/');
	buf_adds(b, enc);		/* percent-encoded: nothing to escape */
	buf_adds(b, tail);
	buf_addc(b, '"');
}

void
apiout_web_url(struct apiout *o, const char *key, const char *kind,
    const char *linkname, const char *msgid)
{
	msgid_url(o, key, kind, linkname, msgid, "/");
}

void
apiout_mbox_url(struct apiout *o, const char *key, const char *kind,
    const char *linkname, const char *msgid)
{
	msgid_url(o, key, kind, linkname, msgid, "/mbox/");
}

/* Embedded objects (spec 3) ------------------------------------------------ */

static const char *
col(const struct dbres *res, int row, int c)
{
	return dbres_str(res, row, c);
}

void
apiout_project(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	jw_url(w, "url", o->prefix_j, "/projects/", id, "/");
	jw_str(w, "name", col(res, row, c + 1));
	jw_str(w, "link_name", col(res, row, c + 2));
	jw_str(w, "list_id", col(res, row, c + 3));
	jw_str(w, "list_email", col(res, row, c + 4));
	jw_str(w, "web_url", col(res, row, c + 5));
	jw_str(w, "scm_url", col(res, row, c + 6));
	jw_str(w, "webscm_url", col(res, row, c + 7));
	if (APIOUT_HAS(o, 12)) {
		jw_str(w, "list_archive_url", col(res, row, c + 8));
		jw_str(w, "list_archive_url_format", col(res, row, c + 9));
		jw_str(w, "commit_url_format", col(res, row, c + 10));
	}
	jw_obj_end(w);
}

void
apiout_person(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	jw_url(w, "url", o->prefix_j, "/people/", id, "/");
	jw_str(w, "name", col(res, row, c + 1));
	jw_str(w, "email", col(res, row, c + 2));
	jw_obj_end(w);
}

void
apiout_user(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	jw_url(w, "url", o->prefix_j, "/users/", id, "/");
	jw_str(w, "username", col(res, row, c + 1));
	jw_str(w, "first_name", col(res, row, c + 2));
	jw_str(w, "last_name", col(res, row, c + 3));
	jw_str(w, "email", col(res, row, c + 4));
	jw_obj_end(w);
}

static void
embed_sub(struct apiout *o, const char *key, const struct dbres *res, int row,
    int c, int cover)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);
	const char *msgid = col(res, row, c + 1);
	const char *linkname = col(res, row, c + 4);
	const char *kind = cover ? "cover" : "patch";

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	jw_url(w, "url", o->prefix_j, cover ? "/covers/" : "/patches/", id,
	    "/");
	if (APIOUT_HAS(o, 11))
		apiout_web_url(o, "web_url", kind, linkname, msgid);
	jw_str(w, "msgid", msgid);
	if (APIOUT_HAS(o, 12))
		jw_str(w, "list_archive_url",
		    apiout_archive_url(o, col(res, row, c + 5), msgid));
	jw_time(w, "date", col(res, row, c + 2));
	jw_str(w, "name", col(res, row, c + 3));
	if (!cover || APIOUT_HAS(o, 11))
		apiout_mbox_url(o, "mbox", kind, linkname, msgid);
	jw_obj_end(w);
}

void
apiout_patch(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	embed_sub(o, key, res, row, c, 0);
}

void
apiout_cover(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	embed_sub(o, key, res, row, c, 1);
}

void
apiout_series(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	jw_url(w, "url", o->prefix_j, "/series/", id, "/");
	if (APIOUT_HAS(o, 11))
		apiout_series_web_url(o, col(res, row, c + 4), id);
	jw_time(w, "date", col(res, row, c + 1));
	jw_str(w, "name", col(res, row, c + 2));
	jw_i64(w, "version", dbres_i64(res, row, c + 3));
	jw_url(w, "mbox", o->base_j, "/series/", id, "/mbox/");
	jw_obj_end(w);
}

void
apiout_series_web_url(struct apiout *o, const char *linkname, int64_t id)
{
	struct buf *b = o->w->b;

	jw_key(o->w, "web_url");
	buf_addc(b, '"');
	buf_adds(b, o->base_j);
	buf_add(b, "/project/", 9);
	json_escape(b, linkname, strlen(linkname));
	buf_add(b, "/list/?series=", 14);
	jw_put_i64(b, id);
	buf_addc(b, '"');
}

void
apiout_comment(struct apiout *o, const char *key, const char *kind,
    const struct dbres *res, int row, int c)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);
	const char *msgid = col(res, row, c + 1);

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	if (APIOUT_HAS(o, 13))
		jw_url2(w, "url", o->prefix_j,
		    strcmp(kind, "covers") == 0 ? "/covers/" : "/patches/",
		    dbres_i64(res, row, c + 3), "/comments/", id, "/");
	if (APIOUT_HAS(o, 11))
		jw_url(w, "web_url", o->base_j, "/comment/", id, "/");
	jw_str(w, "msgid", msgid);
	if (APIOUT_HAS(o, 12))
		jw_str(w, "list_archive_url",
		    apiout_archive_url(o, col(res, row, c + 5), msgid));
	jw_time(w, "date", col(res, row, c + 2));
	jw_obj_end(w);
}

const char *
apiout_check_state(int s)
{
	switch (s) {
	case 0:		return "pending";
	case 1:		return "success";
	case 2:		return "warning";
	case 3:		return "fail";
	default:	return "pending";
	}
}

void
apiout_check(struct apiout *o, const char *key, const struct dbres *res,
    int row, int c)
{
	struct jw *w = o->w;
	int64_t id = dbres_i64(res, row, c);

	if (dbres_isnull(res, row, c)) {
		jw_null(w, key);
		return;
	}
	jw_obj(w, key);
	jw_i64(w, "id", id);
	jw_url2(w, "url", o->prefix_j, "/patches/", dbres_i64(res, row, c + 1),
	    "/checks/", id, "/");
	jw_time(w, "date", col(res, row, c + 2));
	jw_str(w, "state", apiout_check_state((int)dbres_i64(res, row, c + 3)));
	jw_str(w, "target_url", col(res, row, c + 4));
	jw_str(w, "context", col(res, row, c + 5));
	jw_obj_end(w);
}

