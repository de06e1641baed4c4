#ifndef PW_API_H
#define PW_API_H
/*
 * The REST API's shared machinery (fcgi/api.c), used by every api-*.c.
 *
 * A read handler, start to finish:
 *  1. api_begin(r, &a): version, absolute URL prefixes, the requesting
 *     user (403 on bad credentials), the JSON writer on r->out.  Returns
 *     0, or an HTTP status the handler returns at once.
 *  2. A list: api_list_begin() parses page, per_page and order against
 *     the resource's struct api_listdef; the handler reads its filters
 *     (api_arg(), api_args()) into the statement parameters, a project
 *     or state named alone as a name parameter (api_one_name()), other
 *     id-or-name values resolved by api_resolve_run() (one small
 *     statement per kind of filter given); api_list_run() then finds the
 *     page's ids and the total (a fast path or the general statements;
 *     see "Pagination" in api.c for how that stays cheap at millions of
 *     rows); the handler fetches those rows with their embedded objects
 *     in a fixed number of statements (unnest($1) WITH ORDINALITY,
 *     JOINs) and writes them; api_list_end() sets the Link header.
 *  3. A detail: one statement by id (JOINs for the embedded objects);
 *     api_not_found() when missing.
 *
 * JSON is written straight into the response buffer by struct jw
 * (common/jw.h: no json-c tree).
 *
 * Embedded objects (spec 3) are written by api_embed_*() from result
 * columns in a fixed order; the API_COLS_* macros give the matching SQL
 * column lists, so statements and writers cannot drift apart.  Both are
 * in common/apiobj.h (api_embed_*() wrap its apiout_*()), and events in
 * common/event.h, because the webhook worker renders events too.
 *
 * Everything allocated here lives in the request arena.
 */
#include <stddef.h>
#include <stdint.h>

#include "apiobj.h"
#include "buf.h"
#include "db.h"
#include "jw.h"

struct req;

/* Request context ----------------------------------------------------- */

struct api {
	struct req	*r;
	int		 version;	/* 10..14, or API_V_LATEST */
	const char	*base;		/* "https://host", no slash */
	const char	*prefix;	/* base "/api/1.3" or base "/api" */
	const char	*uprefix;	/* base "/api": always unversioned */
	const char	*base_j;	/* the same three, JSON-escaped */
	const char	*prefix_j;
	const char	*uprefix_j;
	int64_t		 user_id;	/* 0: anonymous */
	struct jw	 jw;
	struct buf	*tmp;		/* scratch, in the arena */
	int		 bad_input;	/* a filter value was not UTF-8 */
	struct apiout	 out;		/* the embeddings' view of this */
};

/* Does the request's version have what appeared in v (11 for 1.1)? */
#define API_HAS(a, v)	((a)->version >= (v))

int	 api_begin(struct req *, struct api *);
/* 403 {"detail":"Authentication credentials were not provided."} unless
 * a user is authenticated (people and users endpoints). */
int	 api_need_user(struct api *);
/* Error responses with DRF's bodies.  Return the status. */
int	 api_error(struct api *, int status, const char *detail);
int	 api_not_found(struct api *, const char *model);	/* "No Patch matches..." */
int	 api_db_error(struct api *);	/* 503 or 500 from db.err */

/* Message-id of a URL: <> stripped, then spec 2.11's escaping. */
const char *api_msgid_url(struct api *, const char *msgid);
/* list_archive_url: format with "{}" replaced by the bare msgid; NULL
 * when the format is empty. */
const char *api_archive_url(struct api *, const char *fmt, const char *msgid);

/* Query parameters ----------------------------------------------------- */

/*
 * Filter values.  A value that is not UTF-8 comes back as "" and sets
 * a->bad_input, which makes api_list_run() answer an empty list.
 */
int	 api_utf8_valid(const char *);
/* All non-empty values of key, in order; *n is their number. */
const char **api_args(struct api *, const char *key, int *n);
/* The last value of key (Django's QueryDict.get), or NULL if absent. */
const char *api_arg(struct api *, const char *key);
/* Python int(): optional blanks and sign, digits (and single '_' between
 * digits).  0 and the value, or -1. */
int	 api_parse_int(const char *, int64_t *);
/*
 * Django's date-time filter input (spec 2.2): ISO 8601 with 'T' or ' ',
 * optional seconds and fraction, optional Z or +-HH[:MM], or a bare
 * date.  Writes "YYYY-MM-DD HH:MM:SS.ffffff+00" (UTC) into out; -1 if
 * unparseable.
 */
int	 api_parse_datetime(const char *, char out[80]);
/* DRF BooleanFilter: true/false/1/0 any case → 1/0; -1 for anything else. */
int	 api_parse_boolfilter(const char *);

/* A PostgreSQL array literal of ids or of strings, for $n::bigint[] or
 * $n::text[] parameters. */
const char *api_pg_ids(struct api *, const int64_t *, int n);
const char *api_pg_strs(struct api *, const char *const *, int n);
/* Parse "{1,2,3}" (or NULL) into ids; returns the number. */
int	 api_parse_pg_ids(struct api *, const char *, int64_t **);

/*
 * Search (spec 2.9): DRF's terms of q, as ILIKE patterns ("%term%" with
 * \ % _ escaped).  *n is 0 when q is absent or blank.
 */
const char **api_search_terms(struct api *, int *n);
/*
 * The two parameters of a search, at p: p[0] the first pattern alone (a
 * condition of its own, so that a trigram index serves it), p[1] all of
 * them as text[] (NULL when fewer than two).
 */
void	 api_param_search(struct api *, struct dbparam *p);

/*
 * Id-or-name filters (spec 2.8), resolved by one statement per kind of
 * filter given: each value that parses as an integer is a primary key,
 * others are matched case-insensitively against the kind's name column.
 * A value that matches nothing makes the whole list empty.
 */
enum api_kind {
	API_KIND_PROJECT,	/* id or linkname */
	API_KIND_PERSON,	/* id or email */
	API_KIND_USER,		/* id or username */
	API_KIND_STATE,		/* id, or name with '-' read as ' ' */
	API_KIND_SERIES,	/* ids only */
	API_KIND_PATCH,
	API_KIND_COVER,
	API_KIND__MAX
};

struct api_ids {
	int	 given;		/* the filter was used */
	int	 n;		/* resolved ids, deduplicated */
	int64_t	*v;
};

struct api_resolve {
	const char	**vals[API_KIND__MAX];
	int		  nvals[API_KIND__MAX];
	struct api_ids	  out[API_KIND__MAX];
	int		  any;
};

/* Queue the values of query key for kind (multi-valued, OR'ed). */
void	 api_resolve_add(struct api *, struct api_resolve *, enum api_kind,
	    const char *key);
/* Queue explicit values. */
void	 api_resolve_vals(struct api_resolve *, enum api_kind,
	    const char **vals, int n);
/*
 * Run the resolution (no statement when nothing was queued).  Returns 0
 * when every value matched, 1 when one did not (the list is empty), or
 * an HTTP status.
 */
int	 api_resolve_run(struct api *, struct api_resolve *);
/*
 * The value of key when it is given once and is not an integer: a name
 * the list statements resolve themselves (one project, one state), else
 * NULL.  api_state_name() turns a state's slug into the name it matches
 * ("under-review" is "under review").
 */
const char *api_one_name(struct api *, const char *key);
const char *api_state_name(struct api *, const char *);
/* Two parameters for one id filter: $k scalar (one id), $k+1 array. */
void	 api_param_ids(struct api *, struct dbparam *, const struct api_ids *);

/* Pagination and ordering ---------------------------------------------- */

/* One allowed value of ?order=, with its statements (one per direction). */
struct api_order {
	const char		*name;
	const struct stmt_def	*page[2];	/* [0] ascending, [1] descending */
	const struct stmt_def	*marks[2];	/* NULL: plain OFFSET only */
};

/*
 * A fast path: the first page of one exact shape of filters, as a
 * prepared statement whose every condition is always present (so its
 * generic plan is the right one) and whose LIMIT is the constant
 * API_FAST_LIMIT (a LIMIT parameter would make PostgreSQL price the
 * generic plan for 10 % of the rows and plan each call afresh).  Its
 * parameters are some of the list's filter parameters, listed in map.
 * Pages larger than the default take the general statements.
 */
#define API_FAST_LIMIT	31		/* the default page size, and one */
#define API_FAST_LIMIT_SQL "31"
struct api_fast {
	unsigned		 mask;		/* exactly these filters given */
	int			 order;		/* index in orders */
	int			 desc;
	const struct stmt_def	*page;		/* → id, snapshot text */
	signed char		 map[8];	/* its $1, $2...; -1 ends */
};

/*
 * A list endpoint.  Parameter layout of its statements:
 *  count:  $1..$nf the filters → count(*), pg_current_snapshot()::text
 *  page:   $1..$nf, then (keyset lists only) $nf+1 sort key as text,
 *          $nf+2 id, then limit, offset → id, snapshot text
 *  marks:  $1..$nf, $nf+1 stride S → sort key text, id of the rows at
 *          positions S, 2S, ... (0-based)
 */
struct api_listdef {
	const char		*name;		/* for the count cache key */
	const struct api_order	*orders;	/* [0] is the default */
	int			 norders;
	int			 default_desc;	/* events: -date */
	const struct stmt_def	*count;
	int			 nfilters;
	int			 keyset;	/* page statements take keys */
	const unsigned		*bits;		/* filter param → shape bit */
	const struct api_fast	*fast;
	int			 nfast;
};

struct api_list {
	const struct api_listdef *def;
	int		 order;		/* index in def->orders */
	int		 desc;
	int		 page;		/* 1-based; 0 while "last" is unresolved */
	int		 last;		/* page=last */
	int		 per_page;
	int		 empty;		/* a filter value matched nothing */
	struct dbparam	*params;	/* nfilters, set by the handler */
	int64_t		 count;
	int		 num_pages;
	int64_t		*ids;		/* the page, in order */
	int		 nids;
};

/* Parse page, per_page and order; 0 or 404 ("Invalid page."). */
int	 api_list_begin(struct api *, struct api_list *,
	    const struct api_listdef *);
/* Find the page; 0 or an HTTP status (404 Invalid page, 503). */
int	 api_list_run(struct api *, struct api_list *);
/* Link header (spec 2.7). */
void	 api_list_end(struct api *, struct api_list *);
/* The ids of the page as a $n::bigint[] parameter. */
const char *api_list_ids(struct api *, struct api_list *);

/* Embedded representations (spec 3) ---------------------------------- */

/* The column lists (API_COLS_*) are in apiobj.h. */
/* Each reads its columns from row, starting at col; a NULL id writes null. */
void	 api_embed_project(struct api *, const char *key,
	    const struct dbres *, int row, int col);
void	 api_embed_person(struct api *, const char *key,
	    const struct dbres *, int row, int col);
void	 api_embed_user(struct api *, const char *key,
	    const struct dbres *, int row, int col);
void	 api_embed_patch(struct api *, const char *key,
	    const struct dbres *, int row, int col);
void	 api_embed_cover(struct api *, const char *key,
	    const struct dbres *, int row, int col);
void	 api_embed_series(struct api *, const char *key,
	    const struct dbres *, int row, int col);
void	 api_embed_comment(struct api *, const char *key, const char *kind,
	    const struct dbres *, int row, int col);
void	 api_embed_check(struct api *, const char *key,
	    const struct dbres *, int row, int col);

/* Field helpers shared by resources ------------------------------------- */

/* "pending" ... for ci_check.state 0..3. */
const char *api_check_state(int);
/* Patch/cover web URL: base/project/L/patch/MSGID/ (kind "patch"/"cover"). */
void	 api_web_url(struct api *, const char *key, const char *kind,
	    const char *linkname, const char *msgid);
void	 api_mbox_url(struct api *, const char *key, const char *kind,
	    const char *linkname, const char *msgid);
/* "web_url" of a series: base/project/L/list/?series=ID. */
void	 api_series_web_url(struct api *, const char *linkname, int64_t id);
/* "headers": the stored block as Python's email parser reads it. */
void	 api_headers(struct api *, const char *key, const char *block);
/* The Subject of a stored header block, "" if none (comments). */
const char *api_header_subject(struct api *, const char *block);
/* "prefixes": the bracketed prefixes of a cleaned patch name. */
void	 api_prefixes(struct api *, const char *key, const char *name);

#endif
