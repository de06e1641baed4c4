#ifndef PW_APIOBJ_H
#define PW_APIOBJ_H
/*
 * The REST API's embedded representations (spec 3) and the URLs in
 * them, written with the streaming JSON writer (jw.h).  Shared by
 * pw.fcgi's API (fcgi/api.c wraps these for struct api) and by the
 * webhook worker, whose bodies must be byte for byte what the API shows.
 *
 * A struct apiout says how to render: the API version (URLs and
 * version-gated fields), the JSON-escaped base URL and API prefix, an
 * arena for the strings made on the way and a scratch buffer.  Fill it
 * with apiout_init(); nothing in it is owned.
 *
 * Each embedding reads its columns from a result row, starting at col,
 * in the order of the matching APIOBJ_COLS_* macro (so statements and
 * writers cannot drift apart); a NULL id writes null.
 */
#include <stdint.h>

#include "jw.h"

struct arena;
struct buf;
struct dbres;

/* Effective version: the unversioned API counts as newer than any. */
#define API_V_LATEST	99

struct apiout {
	struct jw	*w;
	int		 version;	/* 10..14, or API_V_LATEST */
	const char	*base_j;	/* "https://host", JSON-escaped */
	const char	*prefix_j;	/* base "/api/1.3" or base "/api" */
	struct arena	*arena;
	struct buf	*tmp;		/* scratch */
	const char	*enc_msgid;	/* apiout_msgid_url() of enc_for */
	const char	*enc_for;
};

/* Does the rendering's version have what appeared in v (11 for 1.1)? */
#define APIOUT_HAS(o, v)	((o)->version >= (v))

void	 apiout_init(struct apiout *, struct jw *, int version,
	    const char *base_j, const char *prefix_j, struct arena *,
	    struct buf *tmp);

/* Column lists, t being the table alias (a string literal). */
#define API_COLS_PROJECT(t) t ".id, " t ".name, " t ".linkname, " t \
	".listid, " t ".listemail, " t ".web_url, " t ".scm_url, " t \
	".webscm_url, " t ".list_archive_url, " t ".list_archive_url_format, " \
	t ".commit_url_format"
#define API_NCOLS_PROJECT	11
#define API_COLS_PERSON(t) t ".id, " t ".name, " t ".email"
#define API_NCOLS_PERSON	3
#define API_COLS_USER(t) t ".id, " t ".username, " t ".first_name, " t \
	".last_name, " t ".email"
#define API_NCOLS_USER		5
/* Patch or cover: id, msgid, date, name, project linkname, archive fmt. */
#define API_COLS_SUB(t, proj) t ".id, " t ".msgid, " t ".date, " t \
	".name, " proj ".linkname, " proj ".list_archive_url_format"
#define API_NCOLS_SUB		6
/* Series: id, date, name, version, project linkname (an expression). */
#define API_COLS_SERIES(t, linkname) t ".id, " t ".date, " t ".name, " t \
	".version, " linkname
/*
 * The linkname of series t's project when the row's own project (alias
 * proj, project id column pid) is nearly always it: no join needed.
 */
#define API_SERIES_LINKNAME(t, pid, proj) "CASE WHEN " t ".project_id = " \
	pid " THEN " proj ".linkname ELSE (SELECT linkname FROM project" \
	" WHERE id = " t ".project_id) END"
#define API_NCOLS_SERIES	5
/* Comment (events): id, msgid, date, parent id, project linkname and
 * archive format; kind "patches" or "covers". */
#define API_COLS_COMMENT(t, parent, proj) t ".id, " t ".msgid, " t \
	".date, " parent ", " proj ".linkname, " proj ".list_archive_url_format"
#define API_NCOLS_COMMENT	6
/* Check (events): id, patch id, date, state, target_url, context. */
#define API_COLS_CHECK(t) t ".id, " t ".patch_id, " t ".date, " t \
	".state, " t ".target_url, " t ".context"
#define API_NCOLS_CHECK		6

void	 apiout_project(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);
void	 apiout_person(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);
void	 apiout_user(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);
void	 apiout_patch(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);
void	 apiout_cover(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);
void	 apiout_series(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);
void	 apiout_comment(struct apiout *, const char *key, const char *kind,
	    const struct dbres *, int row, int col);
void	 apiout_check(struct apiout *, const char *key,
	    const struct dbres *, int row, int col);

/* Message-id of a URL: <> stripped, then spec 2.11's escaping. */
const char *apiout_msgid_url(struct apiout *, const char *msgid);
/* list_archive_url: format with "{}" replaced by the bare msgid; NULL
 * when the format is empty. */
const char *apiout_archive_url(struct apiout *, const char *fmt,
	    const char *msgid);
/* Patch/cover web URL: base/project/L/patch/MSGID/ (kind "patch"/"cover"). */
void	 apiout_web_url(struct apiout *, const char *key, const char *kind,
	    const char *linkname, const char *msgid);
void	 apiout_mbox_url(struct apiout *, const char *key, const char *kind,
	    const char *linkname, const char *msgid);
/* "web_url" of a series: base/project/L/list/?series=ID. */
void	 apiout_series_web_url(struct apiout *, const char *linkname,
	    int64_t id);
/* "pending" ... for ci_check.state 0..3. */
const char *apiout_check_state(int);

#endif
