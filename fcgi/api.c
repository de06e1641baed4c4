/*
 * The REST API's shared machinery: request context, URLs, parameters, id
 * resolution, pagination, embedded objects.  The contract is in api.h.
 *
 * Pagination (spec 2.7) without COUNT(*) or OFFSET growing with the
 * data.  The Link header needs the number of pages, and ?page=N is a
 * position, so the two costs Django pays on every request are a count of
 * every matching row and an OFFSET walk to the page.  Here:
 *
 *  - Page 1 (nearly all traffic) fetches per_page + 1 ids.  When they
 *    fit, the count is exact at no cost.  Otherwise the count comes from
 *    the worker's count cache, keyed by the statement and every filter
 *    parameter.  An entry is exact while the database snapshot
 *    (pg_current_snapshot(), returned by the page query at no cost) is
 *    the one the count was taken in: no transaction committed since,
 *    nothing can have changed.  When commits happened, a count below
 *    API_COUNT_BIG rows is taken again (bounded cost, always exact); a
 *    larger one is reused for API_COUNT_TTL seconds, so the Link header
 *    of a list of a million rows may lag a commit by that much, never
 *    more, and the count runs at most once per TTL per worker.
 *
 *  - Deeper pages avoid OFFSET walks: a page within API_STRIDE rows of
 *    either end is read from that end (the reverse statement is the
 *    exact mirror, id being the tie-break in the same direction as the
 *    sort key), and a page in the middle starts from a "mark", the sort
 *    key of every STRIDE-th row, found with the count by one window
 *    query and cached beside it: keyset condition to the mark, then an
 *    OFFSET below the stride.
 *
 *  - The statements that find the page run unnamed (DB_STMT_ONESHOT):
 *    their filters are optional ($n IS NULL OR ...), and only a plan made
 *    for the actual values uses the right index.  Everything else runs
 *    as prepared statements with generic plans.
 *
 * In CGI mode (the tests) every process starts with an empty cache, so
 * every count there is exact.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "conf.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "xalloc.h"
#include "pwfcgi.h"
#include "api.h"

/* Request context -------------------------------------------------------- */

enum {
	STMT_API_RESOLVE,	/* one per kind, in enum api_kind order */
	STMT_API__MAX = STMT_API_RESOLVE + API_KIND__MAX
};

/*
 * Resolution of one kind of filter: the ids matching the given ids ($1)
 * or names ($2, compared lower-cased: the lower() indexes of person and
 * auth_user serve it), and how many given values match nothing.
 */
#define RESOLVE(tbl, col) \
	"SELECT (SELECT array_agg(DISTINCT id) FROM " tbl \
	" WHERE id = ANY($1::bigint[]) OR lower(" col ") IN" \
	" (SELECT lower(x) FROM unnest($2::text[]) x))," \
	" (SELECT count(*) FROM unnest($1::bigint[]) v" \
	" WHERE NOT EXISTS (SELECT 1 FROM " tbl " WHERE id = v))" \
	" + (SELECT count(*) FROM unnest($2::text[]) x WHERE NOT EXISTS" \
	" (SELECT 1 FROM " tbl " WHERE lower(" col ") = lower(x)))"
#define RESOLVE_IDS(tbl) \
	"SELECT (SELECT array_agg(DISTINCT id) FROM " tbl \
	" WHERE id = ANY($1::bigint[]))," \
	" (SELECT count(*) FROM unnest($1::bigint[]) v" \
	" WHERE NOT EXISTS (SELECT 1 FROM " tbl " WHERE id = v))"

static const struct stmt_def api_stmts[STMT_API__MAX] = {
	[STMT_API_RESOLVE + API_KIND_PROJECT] = { "api_resolve_project",
	    RESOLVE("project", "linkname"), 2 },
	[STMT_API_RESOLVE + API_KIND_PERSON] = { "api_resolve_person",
	    RESOLVE("person", "email"), 2 },
	[STMT_API_RESOLVE + API_KIND_USER] = { "api_resolve_user",
	    RESOLVE("auth_user", "username"), 2 },
	[STMT_API_RESOLVE + API_KIND_STATE] = { "api_resolve_state",
	    RESOLVE("state", "name"), 2 },
	[STMT_API_RESOLVE + API_KIND_SERIES] = { "api_resolve_series",
	    RESOLVE_IDS("series"), 1 },
	[STMT_API_RESOLVE + API_KIND_PATCH] = { "api_resolve_patch",
	    RESOLVE_IDS("patch"), 1 },
	[STMT_API_RESOLVE + API_KIND_COVER] = { "api_resolve_cover",
	    RESOLVE_IDS("cover"), 1 },
};

/*
 * Who is asking (auth-req.c: session, Basic, Token, Bearer): a->user_id
 * is 0 for anonymous requests, the user's id otherwise; bad credentials
 * answer 403 with DRF's message before anything else.
 */
static int
api_authenticate(struct api *a)
{
	int st;

	a->user_id = 0;
	if ((st = auth_request(a->r)) != 0)
		return st;
	if (a->r->user != NULL)
		a->user_id = a->r->user->id;
	return 0;
}


static void
tmp_release(void *p)
{
	buf_release(p);
}

static const char *
json_escaped(struct api *a, const char *s)
{
	buf_reset(a->tmp);
	json_escape(a->tmp, s, strlen(s));
	return arena_strndup(a->r->arena, a->tmp->s, a->tmp->len);
}

int
api_begin(struct req *r, struct api *a)
{
	const char *base;
	int st;

	memset(a, 0, sizeof(*a));
	a->r = r;
	a->version = r->api_version == API_VERSION_LATEST ? API_V_LATEST :
	    r->api_version;
	base = req_base_url(r);
	a->base = base;
	a->uprefix = arena_printf(r->arena, "%s/api", base);
	if (r->api_version == API_VERSION_LATEST)
		a->prefix = a->uprefix;
	else
		a->prefix = arena_printf(r->arena, "%s/api/%d.%d", base,
		    r->api_version / 10, r->api_version % 10);
	a->tmp = ARENA_NEW(r->arena, struct buf, 1);
	buf_init(a->tmp, 0);
	arena_defer(r->arena, tmp_release, a->tmp);
	a->base_j = json_escaped(a, a->base);
	a->prefix_j = json_escaped(a, a->prefix);
	a->uprefix_j = json_escaped(a, a->uprefix);
	jw_init(&a->jw, &r->out);
	apiout_init(&a->out, &a->jw, a->version, a->base_j, a->prefix_j,
	    r->arena, a->tmp);
	r->ctype = "application/json";
	if ((st = api_authenticate(a)) != 0)
		return st;
	return 0;
}

int
api_need_user(struct api *a)
{
	if (a->user_id != 0)
		return 0;
	return api_error(a, 403,
	    "Authentication credentials were not provided.");
}

int
api_error(struct api *a, int status, const char *detail)
{
	return resp_error(a->r, status, detail);
}

int
api_not_found(struct api *a, const char *model)
{
	return resp_error(a->r, 404, arena_printf(a->r->arena,
	    "No %s matches the given query.", model));
}

int
api_db_error(struct api *a)
{
	return resp_error(a->r, a->r->db->err == DB_UNAVAILABLE ? 503 : 500,
	    NULL);
}

/* URLs and embedded objects: apiobj.c, for struct api ------------------ */

const char *
api_msgid_url(struct api *a, const char *msgid)
{
	return apiout_msgid_url(&a->out, msgid);
}

const char *
api_archive_url(struct api *a, const char *fmt, const char *msgid)
{
	return apiout_archive_url(&a->out, fmt, msgid);
}

void
api_web_url(struct api *a, const char *key, const char *kind,
    const char *linkname, const char *msgid)
{
	apiout_web_url(&a->out, key, kind, linkname, msgid);
}

void
api_mbox_url(struct api *a, const char *key, const char *kind,
    const char *linkname, const char *msgid)
{
	apiout_mbox_url(&a->out, key, kind, linkname, msgid);
}

void
api_series_web_url(struct api *a, const char *linkname, int64_t id)
{
	apiout_series_web_url(&a->out, linkname, id);
}

const char *
api_check_state(int s)
{
	return apiout_check_state(s);
}

#define EMBED(kind) \
void \
api_embed_##kind(struct api *a, const char *key, const struct dbres *res, \
    int row, int c) \
{ \
	apiout_##kind(&a->out, key, res, row, c); \
}
EMBED(project)
EMBED(person)
EMBED(user)
EMBED(patch)
EMBED(cover)
EMBED(series)
EMBED(check)
#undef EMBED

void
api_embed_comment(struct api *a, const char *key, const char *kind,
    const struct dbres *res, int row, int c)
{
	apiout_comment(&a->out, key, kind, res, row, c);
}

/* Query parameters ------------------------------------------------------ */

/* Is s well-formed UTF-8 (no overlongs, no surrogates)? */
int
api_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int len, i;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			len = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4;
		else
			return 0;
		for (i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		if ((*p == 0xe0 && p[1] < 0xa0) ||
		    (*p == 0xed && p[1] >= 0xa0) ||
		    (*p == 0xf0 && p[1] < 0x90) ||
		    (*p == 0xf4 && p[1] >= 0x90))
			return 0;
		p += len;
	}
	return 1;
}

/*
 * Filter values that are not UTF-8 can match nothing (Django reads them
 * with U+FFFD in place of the bad bytes): they make the list empty, and
 * never reach the database, which would refuse them.
 */
static const char *
filter_value(struct api *a, const char *v)
{
	if (v != NULL && !api_utf8_valid(v)) {
		a->bad_input = 1;
		return "";
	}
	return v;
}

const char **
api_args(struct api *a, const char *key, int *n)
{
	const struct req *r = a->r;
	const char **v;
	size_t i;
	int k = 0;

	v = ARENA_NEW(a->r->arena, const char *, r->nargs + 1);
	for (i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].key, key) == 0 && *r->args[i].val != '\0')
			v[k++] = filter_value(a, r->args[i].val);
	*n = k;
	return v;
}

static const char *
arg_last(const struct req *r, const char *key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].key, key) == 0)
			v = r->args[i].val;
	return v;
}

const char *
api_arg(struct api *a, const char *key)
{
	return filter_value(a, arg_last(a->r, key));
}

int
api_parse_int(const char *s, int64_t *out)
{
	uint64_t v = 0;
	int neg = 0, digits = 0, overflow = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (;;) {
		if (*s >= '0' && *s <= '9') {
			if (v > (UINT64_C(1) << 62))
				overflow = 1;
			else
				v = v * 10 + (uint64_t)(*s - '0');
			digits++;
			s++;
		} else if (*s == '_' && digits > 0 && s[1] >= '0' &&
		    s[1] <= '9')
			s++;
		else
			break;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	/* Too large for any id: a value that matches nothing. */
	if (overflow || v > (uint64_t)INT64_MAX)
		v = 0, neg = 1;
	*out = neg ? -(int64_t)v - (overflow ? 1 : 0) : (int64_t)v;
	return 0;
}

static int
ndigits(const char **pp, int n, int *v)
{
	const char *p = *pp;
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
api_parse_datetime(const char *s, char out[80])
{
	int y, mo, d, h = 0, mi = 0, sec = 0, us = 0, tzs = 0, tzh = 0, tzm = 0;
	int i;
	struct tm tm;
	time_t t;

	while (isspace((unsigned char)*s))
		s++;
	if (ndigits(&s, 4, &y) || *s++ != '-' || ndigits(&s, 2, &mo) ||
	    *s++ != '-' || ndigits(&s, 2, &d))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (ndigits(&s, 2, &h) || *s++ != ':' || ndigits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (ndigits(&s, 2, &sec))
				return -1;
			if (*s == '.' || *s == ',') {
				s++;
				if (*s < '0' || *s > '9')
					return -1;
				for (i = 0; *s >= '0' && *s <= '9'; i++, s++)
					if (i < 6)
						us = us * 10 + (*s - '0');
				for (; i < 6; i++)
					us *= 10;
			}
		}
		while (*s == ' ')
			s++;
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			tzs = *s++ == '-' ? -1 : 1;
			if (ndigits(&s, 2, &tzh))
				return -1;
			if (*s == ':')
				s++;
			if (*s >= '0' && *s <= '9' && ndigits(&s, 2, &tzm))
				return -1;
		}
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59 ||
	    tzh > 23 || tzm > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm) - tzs * (tzh * 3600 + tzm * 60);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	snprintf(out, 80, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, us);
	return 0;
}

int
api_parse_boolfilter(const char *s)
{
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

const char *
api_pg_ids(struct api *a, const int64_t *v, int n)
{
	struct buf *b = a->tmp;
	int i;

	buf_reset(b);
	buf_addc(b, '{');
	for (i = 0; i < n; i++)
		buf_addf(b, i ? ",%lld" : "%lld", (long long)v[i]);
	buf_addc(b, '}');
	return arena_strndup(a->r->arena, b->s, b->len);
}

const char *
api_pg_strs(struct api *a, const char *const *v, int n)
{
	struct buf *b = a->tmp;
	const char *p;
	int i;

	buf_reset(b);
	buf_addc(b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		buf_addc(b, '"');
		for (p = v[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(b, '\\');
			buf_addc(b, *p);
		}
		buf_addc(b, '"');
	}
	buf_addc(b, '}');
	return arena_strndup(a->r->arena, b->s, b->len);
}

int
api_parse_pg_ids(struct api *a, const char *s, int64_t **out)
{
	const char *p;
	int n = 1, k = 0;

	*out = NULL;
	if (s == NULL || s[0] != '{' || s[1] == '}')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			n++;
	*out = ARENA_NEW(a->r->arena, int64_t, n);
	for (p = s + 1; *p != '\0' && *p != '}'; ) {
		(*out)[k++] = strtoll(p, (char **)&p, 10);
		if (*p == ',')
			p++;
	}
	return k;
}

/* DRF's search_smart_split (Django smart_split, then commas). */
const char **
api_search_terms(struct api *a, int *n)
{
	const char *q = api_arg(a, "q"), *p, *start;
	const char **terms;
	struct buf *b = a->tmp;
	int k = 0, max;

	*n = 0;
	if (q == NULL)
		return NULL;
	max = (int)strlen(q) + 1;
	terms = ARENA_NEW(a->r->arena, const char *, max);
	for (p = q; *p != '\0'; ) {
		const char *t, *te;
		char quote;
		int quoted;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		/* A token: non-blanks, quoted runs kept whole. */
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			if (*p == '"' || *p == '\'') {
				const char *c = p + 1;

				quote = *p;
				while (*c != '\0' && *c != quote) {
					if (*c == '\\' && c[1] != '\0')
						c++;
					c++;
				}
				if (*c == quote) {
					p = c + 1;
					continue;
				}
			}
			p++;
		}
		t = start;
		te = p;
		while (t < te && *t == ',')
			t++;
		while (te > t && te[-1] == ',')
			te--;
		if (t == te)
			continue;
		quoted = te - t >= 2 && (*t == '"' || *t == '\'') &&
		    te[-1] == *t;
		buf_reset(b);
		if (quoted) {
			const char *c;

			for (c = t + 1; c < te - 1; c++) {
				if (*c == '\\' && c + 1 < te - 1)
					c++;
				buf_addc(b, *c);
			}
			terms[k++] = arena_strndup(a->r->arena, b->s, b->len);
			continue;
		}
		/* Unquoted: split at commas, keep the non-blank parts. */
		while (t < te) {
			const char *c = memchr(t, ',', (size_t)(te - t));
			const char *se = c != NULL ? c : te, *ss = t;

			while (ss < se && isspace((unsigned char)*ss))
				ss++;
			while (se > ss && isspace((unsigned char)se[-1]))
				se--;
			if (se > ss)
				terms[k++] = arena_strndup(a->r->arena, ss,
				    (size_t)(se - ss));
			t = c != NULL ? c + 1 : te;
		}
	}
	/* As ILIKE patterns. */
	for (int i = 0; i < k; i++) {
		buf_reset(b);
		buf_addc(b, '%');
		for (p = terms[i]; *p != '\0'; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				buf_addc(b, '\\');
			buf_addc(b, *p);
		}
		buf_addc(b, '%');
		terms[i] = arena_strndup(a->r->arena, b->s, b->len);
	}
	*n = k;
	return terms;
}

/* Id-or-name resolution --------------------------------------------------- */

void
api_resolve_vals(struct api_resolve *rs, enum api_kind k, const char **vals,
    int n)
{
	rs->vals[k] = vals;
	rs->nvals[k] = n;
	rs->out[k].given = n > 0;
	if (n > 0)
		rs->any = 1;
}

void
api_resolve_add(struct api *a, struct api_resolve *rs, enum api_kind k,
    const char *key)
{
	const char **v;
	int n;

	v = api_args(a, key, &n);
	api_resolve_vals(rs, k, v, n);
}

/*
 * One statement per kind of filter given (a request names two or three
 * kinds at most), each cheap and planned once per connection.
 */
int
api_resolve_run(struct api *a, struct api_resolve *rs)
{
	struct dbparam p[2];
	struct dbres *res;
	int k, i;

	if (!rs->any)
		return 0;
	for (k = 0; k < API_KIND__MAX; k++) {
		struct api_ids *o = &rs->out[k];
		int64_t *ids;
		const char **names;
		int nid = 0, nname = 0;

		if (rs->nvals[k] == 0)
			continue;
		ids = ARENA_NEW(a->r->arena, int64_t, rs->nvals[k]);
		names = ARENA_NEW(a->r->arena, const char *, rs->nvals[k]);
		for (i = 0; i < rs->nvals[k]; i++) {
			int64_t v;
			const char *s = rs->vals[k][i];

			if (api_parse_int(s, &v) == 0)
				ids[nid++] = v;
			else if (k >= API_KIND_SERIES)
				return 1;	/* ids only: matches nothing */
			else if (k == API_KIND_STATE)
				names[nname++] = api_state_name(a, s);
			else
				names[nname++] = s;
		}
		p[0] = nid > 0 ? DB_STR(api_pg_ids(a, ids, nid)) : DB_NULL;
		p[1] = nname > 0 ? DB_STR(api_pg_strs(a, names, nname)) :
		    DB_NULL;
		res = db_exec(a->r->db, &api_stmts[STMT_API_RESOLVE + k], p,
		    api_stmts[STMT_API_RESOLVE + k].nparams);
		if (res == NULL)
			return api_db_error(a);
		if (dbres_i64(res, 0, 1) != 0)
			return 1;
		o->n = api_parse_pg_ids(a, dbres_str(res, 0, 0), &o->v);
		if (o->n == 0)
			return 1;
	}
	return 0;
}

const char *
api_one_name(struct api *a, const char *key)
{
	const char **v;
	int64_t id;
	int n;

	v = api_args(a, key, &n);
	if (n != 1 || api_parse_int(v[0], &id) == 0 || a->bad_input)
		return NULL;
	return v[0];
}

const char *
api_state_name(struct api *a, const char *v)
{
	char *c = arena_strdup(a->r->arena, v), *x;

	for (x = c; *x != '\0'; x++)
		if (*x == '-')
			*x = ' ';
	return c;
}

void
api_param_ids(struct api *a, struct dbparam *p, const struct api_ids *ids)
{
	p[0] = DB_NULL;
	p[1] = DB_NULL;
	if (!ids->given || ids->n == 0)
		return;
	if (ids->n == 1)
		p[0] = DB_I64(ids->v[0]);
	else
		p[1] = DB_STR(api_pg_ids(a, ids->v, ids->n));
}

/* Pagination ------------------------------------------------------ */

#define API_STRIDE	1000	/* rows between marks, at least */
#define API_MAXMARKS	2048	/* per cache entry */
#define API_COUNT_BIG	5000	/* counts below are always re-taken */
#define API_COUNT_TTL	2	/* seconds a larger one may lag commits */
#define API_CACHE_N	64
#define API_CACHE_KEYMAX 4096

struct mark {
	char	*key;		/* sort key as text */
	int64_t	 id;
};

struct cache_ent {
	char		*key;		/* NULL: free slot */
	uint64_t	 hash;
	char		*snap;
	time_t		 at;
	int64_t		 count;
	int		 stride;	/* 0: no marks */
	int		 nmarks;
	struct mark	*marks;
	unsigned long	 used;
};

static struct cache_ent cache[API_CACHE_N];
static unsigned long cache_clock;

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
ent_drop_marks(struct cache_ent *e)
{
	int i;

	for (i = 0; i < e->nmarks; i++)
		free(e->marks[i].key);
	free(e->marks);
	e->marks = NULL;
	e->nmarks = 0;
	e->stride = 0;
}

static void
ent_clear(struct cache_ent *e)
{
	ent_drop_marks(e);
	free(e->key);
	free(e->snap);
	memset(e, 0, sizeof(*e));
}

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The cache key of a list: name, order, filter parameters. */
static const char *
list_key(struct api *a, struct api_list *l, size_t *lenp)
{
	struct buf *b = a->tmp;
	int i;

	buf_reset(b);
	buf_addf(b, "%s|%d|%d", l->def->name, l->order, l->desc);
	for (i = 0; i < l->def->nfilters; i++) {
		const struct dbparam *p = &l->params[i];

		buf_addc(b, '\x1f');
		switch (p->kind) {
		case DBP_NULL:
			buf_addc(b, 'N');
			break;
		case DBP_I64:
		case DBP_BOOL:
			buf_addf(b, "i%lld", (long long)p->i);
			break;
		case DBP_STR:
			buf_addc(b, 's');
			buf_adds(b, p->s != NULL ? p->s : "");
			break;
		default:
			buf_addc(b, '?');
			break;
		}
	}
	*lenp = b->len;
	if (b->len > API_CACHE_KEYMAX)
		return NULL;
	return arena_strndup(a->r->arena, b->s, b->len);
}

static struct cache_ent *
cache_find(const char *key, size_t len)
{
	uint64_t h;
	int i;

	if (key == NULL)
		return NULL;
	h = fnv(key, len);
	for (i = 0; i < API_CACHE_N; i++)
		if (cache[i].key != NULL && cache[i].hash == h &&
		    strcmp(cache[i].key, key) == 0) {
			cache[i].used = ++cache_clock;
			return &cache[i];
		}
	return NULL;
}

static struct cache_ent *
cache_put(const char *key, size_t len, int64_t count, const char *snap)
{
	struct cache_ent *e;
	int i, victim = 0;

	if (key == NULL)
		return NULL;
	if ((e = cache_find(key, len)) == NULL) {
		for (i = 0; i < API_CACHE_N; i++) {
			if (cache[i].key == NULL) {
				victim = i;
				break;
			}
			if (cache[i].used < cache[victim].used)
				victim = i;
		}
		e = &cache[victim];
		ent_clear(e);
		e->key = xstrdup(key);
		e->hash = fnv(key, len);
	}
	ent_drop_marks(e);
	free(e->snap);
	e->snap = xstrdup(snap != NULL ? snap : "");
	e->count = count;
	e->at = now_mono();
	e->used = ++cache_clock;
	return e;
}

/* Is the cached count usable in the database state snap? */
static int
ent_valid(const struct cache_ent *e, const char *snap)
{
	if (snap != NULL && strcmp(e->snap, snap) == 0)
		return 1;
	return e->count >= API_COUNT_BIG && now_mono() - e->at < API_COUNT_TTL;
}

int
api_list_begin(struct api *a, struct api_list *l, const struct api_listdef *d)
{
	const struct conf *c = a->r->conf;
	const char *v;
	int64_t n;
	int i;

	memset(l, 0, sizeof(*l));
	l->def = d;
	l->per_page = c->http.page_size;
	if ((v = arg_last(a->r, "per_page")) != NULL &&
	    api_parse_int(v, &n) == 0 && n > 0)
		l->per_page = n > c->http.max_page_size ?
		    c->http.max_page_size : (int)n;
	l->page = 1;
	v = arg_last(a->r, "page");
	if (v != NULL && *v != '\0') {
		if (strcmp(v, "last") == 0) {
			l->last = 1;
			l->page = 0;
		} else if (api_parse_int(v, &n) == -1 || n < 1 || n > INT32_MAX)
			return api_error(a, 404, "Invalid page.");
		else
			l->page = (int)n;
	}
	l->order = 0;
	l->desc = d->default_desc;
	/* The first allowed field of ?order= wins (see docs/api.md). */
	if ((v = arg_last(a->r, "order")) != NULL) {
		const char *p = v;

		while (*p != '\0') {
			const char *e = strchr(p, ',');
			size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
			const char *f = p;
			int desc = 0, found = -1;

			while (len > 0 && isspace((unsigned char)*f))
				f++, len--;
			while (len > 0 && isspace((unsigned char)f[len - 1]))
				len--;
			if (len > 0 && *f == '-') {
				desc = 1;
				f++;
				len--;
			}
			for (i = 0; i < d->norders; i++)
				if (strlen(d->orders[i].name) == len &&
				    memcmp(d->orders[i].name, f, len) == 0)
					found = i;
			if (found >= 0) {
				l->order = found;
				l->desc = desc;
				break;
			}
			if (e == NULL)
				break;
			p = e + 1;
		}
	}
	l->params = ARENA_NEW(a->r->arena, struct dbparam, d->nfilters);
	for (i = 0; i < d->nfilters; i++)
		l->params[i] = DB_NULL;
	return 0;
}

/* Run a page statement; ids go to l->ids (reversed when rev). */
static int
run_page(struct api *a, struct api_list *l, int rev, const struct mark *m,
    int64_t limit, int64_t offset, const char **snap)
{
	const struct api_listdef *d = l->def;
	const struct stmt_def *st;
	struct dbparam *p;
	struct dbres *res;
	int np = d->nfilters, i, n;

	st = d->orders[l->order].page[l->desc ^ rev];
	p = ARENA_NEW(a->r->arena, struct dbparam, np + 4);
	memcpy(p, l->params, sizeof(*p) * (size_t)d->nfilters);
	if (d->keyset) {
		p[np++] = m != NULL ? DB_STR(m->key) : DB_NULL;
		p[np++] = m != NULL ? DB_I64(m->id) : DB_NULL;
	}
	p[np++] = DB_I64(limit);
	p[np++] = DB_I64(offset);
	res = db_exec_oneshot(a->r->db, st, p, np);
	if (res == NULL)
		return api_db_error(a);
	n = dbres_rows(res);
	l->ids = ARENA_NEW(a->r->arena, int64_t, n + 1);
	l->nids = n;
	for (i = 0; i < n; i++)
		l->ids[rev ? n - 1 - i : i] = dbres_i64(res, i, 0);
	*snap = n > 0 ? dbres_str(res, 0, 1) : NULL;
	return 0;
}

/*
 * The first page by a fast path, when the request has one's exact shape:
 * 0, an HTTP status, or -1 when there is none.
 */
static int
run_fast(struct api *a, struct api_list *l, const char **snap)
{
	const struct api_listdef *d = l->def;
	const struct api_fast *f = NULL;
	struct dbparam p[8];
	struct dbres *res;
	unsigned mask = 0;
	int i, n;

	if (d->nfast == 0 || l->per_page + 1 > API_FAST_LIMIT)
		return -1;
	for (i = 0; i < d->nfilters; i++)
		if (l->params[i].kind != DBP_NULL)
			mask |= d->bits[i];
	for (i = 0; i < d->nfast && f == NULL; i++)
		if (d->fast[i].mask == mask && d->fast[i].order == l->order &&
		    d->fast[i].desc == l->desc)
			f = &d->fast[i];
	if (f == NULL)
		return -1;
	for (n = 0; n < 8 && f->map[n] >= 0; n++)
		p[n] = l->params[(int)f->map[n]];
	if ((res = db_exec(a->r->db, f->page, p, n)) == NULL)
		return api_db_error(a);
	n = dbres_rows(res);
	if (n > l->per_page + 1)
		n = l->per_page + 1;
	l->ids = ARENA_NEW(a->r->arena, int64_t, n + 1);
	l->nids = n;
	for (i = 0; i < n; i++)
		l->ids[i] = dbres_i64(res, i, 0);
	*snap = n > 0 ? dbres_str(res, 0, 1) : NULL;
	return 0;
}

static int
run_count(struct api *a, struct api_list *l, const char **snap)
{
	struct dbres *res;

	res = db_exec_oneshot(a->r->db, l->def->count, l->params,
	    l->def->nfilters);
	if (res == NULL)
		return api_db_error(a);
	l->count = dbres_i64(res, 0, 0);
	*snap = dbres_str(res, 0, 1);
	return 0;
}

/* Count and marks in one pass (a window query over the whole list). */
static int
run_marks(struct api *a, struct api_list *l, struct cache_ent *e)
{
	const struct api_listdef *d = l->def;
	struct dbparam *p;
	struct dbres *res;
	int64_t stride;
	int i, n;

	stride = l->count / API_MAXMARKS + 1;
	if (stride < API_STRIDE)
		stride = API_STRIDE;
	p = ARENA_NEW(a->r->arena, struct dbparam, d->nfilters + 1);
	memcpy(p, l->params, sizeof(*p) * (size_t)d->nfilters);
	p[d->nfilters] = DB_I64(stride);
	res = db_exec_oneshot(a->r->db, d->orders[l->order].marks[l->desc], p,
	    d->nfilters + 1);
	if (res == NULL)
		return api_db_error(a);
	ent_drop_marks(e);
	n = dbres_rows(res);
	e->marks = xcalloc((size_t)n + 1, sizeof(*e->marks));
	for (i = 0; i < n; i++) {
		e->marks[i].key = xstrdup(dbres_str(res, i, 0));
		e->marks[i].id = dbres_i64(res, i, 1);
	}
	e->nmarks = n;
	e->stride = (int)stride;
	return 0;
}

static void
set_pages(struct api_list *l)
{
	l->num_pages = l->count <= 0 ? 1 :
	    (int)((l->count + l->per_page - 1) / l->per_page);
	if (l->num_pages < 1)
		l->num_pages = 1;
}

/* Fetch page l->page, the count being known. */
static int
fetch_page(struct api *a, struct api_list *l, struct cache_ent *e,
    const char **snap)
{
	const struct api_listdef *d = l->def;
	const struct api_order *o = &d->orders[l->order];
	int64_t s = (int64_t)(l->page - 1) * l->per_page;
	int64_t want = l->count - s < l->per_page ? l->count - s : l->per_page;
	int64_t tail = l->count - s - want;
	int64_t k;
	int st;

	if (want < 1)
		want = l->per_page;	/* the count was stale: try */
	if (!d->keyset || s < API_STRIDE)
		return run_page(a, l, 0, NULL, l->per_page, s, snap);
	if (tail < API_STRIDE && tail >= 0)
		return run_page(a, l, 1, NULL, want, tail, snap);
	if (e == NULL || o->marks[l->desc] == NULL)
		return run_page(a, l, 0, NULL, l->per_page, s, snap);
	if (e->stride == 0 && (st = run_marks(a, l, e)) != 0)
		return st;
	k = s / e->stride;
	if (k > e->nmarks)
		k = e->nmarks;
	if (k == 0)
		return run_page(a, l, 0, NULL, l->per_page, s, snap);
	return run_page(a, l, 0, &e->marks[k - 1], l->per_page,
	    s - k * e->stride, snap);
}

int
api_list_run(struct api *a, struct api_list *l)
{
	struct cache_ent *e;
	const char *key, *snap = NULL, *csnap;
	size_t klen;
	int st, fresh = 0;

	if (l->empty || a->bad_input) {
		l->count = 0;
		set_pages(l);
		if (l->last)
			l->page = 1;
		if (l->page != 1)
			return api_error(a, 404, "Invalid page.");
		l->ids = NULL;
		l->nids = 0;
		return 0;
	}
	key = list_key(a, l, &klen);
	e = cache_find(key, klen);

	if (!l->last && l->page == 1) {
		if ((st = run_fast(a, l, &snap)) == -1 &&
		    (st = run_page(a, l, 0, NULL, l->per_page + 1, 0,
		    &snap)) != 0)
			return st;
		if (st > 0)
			return st;
		if (l->nids <= l->per_page) {
			l->count = l->nids;
		} else {
			l->nids = l->per_page;
			if (e != NULL && e->count > l->per_page &&
			    ent_valid(e, snap))
				l->count = e->count;
			else {
				if ((st = run_count(a, l, &csnap)) != 0)
					return st;
				cache_put(key, klen, l->count, csnap);
			}
		}
		set_pages(l);
		return 0;
	}

	/* A deeper page: the count first, then the page, then a check. */
	for (;;) {
		if (e == NULL) {
			if ((st = run_count(a, l, &csnap)) != 0)
				return st;
			e = cache_put(key, klen, l->count, csnap);
			fresh = 1;
		} else
			l->count = e->count;
		set_pages(l);
		if (l->last)
			l->page = l->num_pages;
		if (l->page > l->num_pages) {
			if (fresh)
				return api_error(a, 404, "Invalid page.");
			e = NULL;	/* maybe stale: count again */
			continue;
		}
		if ((st = fetch_page(a, l, e, &snap)) != 0)
			return st;
		/*
		 * A cached count is checked against the snapshot the page
		 * was read in (an empty page, which a right count would not
		 * give, passes only within the TTL of a big count).
		 */
		if (fresh || e == NULL || ent_valid(e, snap))
			break;
		e = NULL;
	}
	return 0;
}

const char *
api_list_ids(struct api *a, struct api_list *l)
{
	return api_pg_ids(a, l->ids, l->nids);
}

/* Link header ------------------------------------------------------------ */

/* Python's quote_plus of s (with invalid UTF-8 read as U+FFFD). */
static void
quote_plus(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned char c = *p;
		int len = 0, i;

		if (isalnum(c) || strchr("_.-~", c) != NULL) {
			buf_addc(b, c);
			p++;
			continue;
		}
		if (c == ' ') {
			buf_addc(b, '+');
			p++;
			continue;
		}
		if (c < 0x80)
			len = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		for (i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				len = 0;
		if (len == 3 && ((c == 0xe0 && p[1] < 0xa0) ||
		    (c == 0xed && p[1] >= 0xa0)))
			len = 0;
		if (len == 4 && ((c == 0xf0 && p[1] < 0x90) ||
		    (c == 0xf4 && p[1] >= 0x90)))
			len = 0;
		if (len == 0) {
			buf_add(b, "%EF%BF%BD", 9);
			p++;
			continue;
		}
		for (i = 0; i < len; i++) {
			buf_addc(b, '%');
			buf_addc(b, hex[p[i] >> 4]);
			buf_addc(b, hex[p[i] & 15]);
		}
		p += len;
	}
}

struct qarg {
	const char	*key;
	const char	*val;
	size_t		 seq;
};

static int
qarg_cmp(const void *x, const void *y)
{
	const struct qarg *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* One URL of the Link header: the request with page replaced (0: removed). */
static void
link_url(struct api *a, struct buf *out, const struct qarg *args, size_t n,
    int page)
{
	char num[24];
	size_t i;
	int first = 1, done = page == 0;

	buf_addc(out, '<');
	buf_adds(out, a->base);
	buf_adds(out, a->r->path);
	snprintf(num, sizeof(num), "%d", page);
	for (i = 0; i <= n; i++) {
		/* "page" goes where it sorts. */
		if (!done && (i == n || strcmp(args[i].key, "page") > 0)) {
			buf_addc(out, first ? '?' : '&');
			buf_add(out, "page=", 5);
			buf_adds(out, num);
			first = 0;
			done = 1;
		}
		if (i == n)
			break;
		buf_addc(out, first ? '?' : '&');
		quote_plus(out, args[i].key);
		buf_addc(out, '=');
		quote_plus(out, args[i].val);
		first = 0;
	}
	buf_addc(out, '>');
}

void
api_list_end(struct api *a, struct api_list *l)
{
	const struct req *r = a->r;
	struct qarg *args;
	struct buf b = BUF_INIT;
	size_t i, n = 0;

	args = ARENA_NEW(r->arena, struct qarg, r->nargs + 1);
	for (i = 0; i < r->nargs; i++) {
		if (strcmp(r->args[i].key, "page") == 0)
			continue;
		args[n].key = r->args[i].key;
		args[n].val = r->args[i].val;
		args[n].seq = i;
		n++;
	}
	qsort(args, n, sizeof(*args), qarg_cmp);
	if (l->page < l->num_pages) {
		link_url(a, &b, args, n, l->page + 1);
		buf_add(&b, "; rel=\"next\", ", 14);
	}
	if (l->page > 1) {
		link_url(a, &b, args, n, l->page - 1 == 1 ? 0 : l->page - 1);
		buf_add(&b, "; rel=\"prev\", ", 14);
	}
	link_url(a, &b, args, n, 1);
	buf_add(&b, "; rel=\"first\", ", 15);
	link_url(a, &b, args, n, l->num_pages);
	buf_add(&b, "; rel=\"last\"", 12);
	resp_header(a->r, "Link", "%s", b.s);
	buf_release(&b);
}

/* Stored headers -------------------------------------------------- */

struct hdr {
	const char	*name;
	size_t		 nlen;
	const char	*val;
	size_t		 vlen;
};

/* A header line for Python's feedparser: name chars then ':'. */
static int
header_line(const char *p, const char *e)
{
	const char *s = p;

	while (p < e && *p >= 0x21 && *p <= 0x7e && *p != ':')
		p++;
	return p < e && *p == ':' && p > s;
}

/*
 * Split a stored header block as Python's email parser (compat32) does:
 * a line starting with a blank continues the previous header, the value
 * is the rest of the first line with leading blanks dropped plus the
 * continuation lines as they are (line breaks kept, the final one
 * dropped); a line that is neither ends the headers.
 */
static struct hdr *
headers_split(struct api *a, const char *block, int *np)
{
	const char *p = block, *e, *le;
	struct hdr *h;
	int n = 0, max = 1;

	*np = 0;
	if (block == NULL)
		return NULL;
	for (e = block; *e != '\0'; e++)
		if (*e == '\n')
			max++;
	h = ARENA_NEW(a->r->arena, struct hdr, max);
	while (*p != '\0') {
		le = strchr(p, '\n');
		if (le == NULL)
			le = p + strlen(p);
		if (p == le || (le - p == 1 && *p == '\r'))
			break;		/* blank line: end of headers */
		if (*p == ' ' || *p == '\t') {
			if (n > 0)		/* continuation */
				h[n - 1].vlen = (size_t)(le - h[n - 1].val);
		} else if (header_line(p, le)) {
			const char *c = memchr(p, ':', (size_t)(le - p));

			h[n].name = p;
			h[n].nlen = (size_t)(c - p);
			c++;
			while (c < le && (*c == ' ' || *c == '\t'))
				c++;
			h[n].val = c;
			h[n].vlen = (size_t)(le - c);
			n++;
		} else if (n == 0 && strncmp(p, "From ", 5) == 0) {
			;			/* unix From line */
		} else if (*p == ':') {
			;			/* no name: skipped */
		} else
			break;
		if (*le == '\0')
			break;
		p = le + 1;
	}
	/* Trailing CR/LF of each value go, as in header_source_parse. */
	for (int i = 0; i < n; i++)
		while (h[i].vlen > 0 && (h[i].val[h[i].vlen - 1] == '\n' ||
		    h[i].val[h[i].vlen - 1] == '\r'))
			h[i].vlen--;
	*np = n;
	return h;
}

void
api_headers(struct api *a, const char *key, const char *block)
{
	struct jw *w = &a->jw;
	struct hdr *h;
	int n, i, j, k, cnt;

	h = headers_split(a, block, &n);
	jw_obj(w, key);
	for (i = 0; i < n; i++) {
		/* Each distinct name once, at its first place. */
		for (j = 0; j < i; j++)
			if (h[j].nlen == h[i].nlen &&
			    memcmp(h[j].name, h[i].name, h[i].nlen) == 0)
				break;
		if (j < i)
			continue;
		cnt = 0;
		for (k = 0; k < n; k++)
			if (h[k].nlen == h[i].nlen &&
			    strncasecmp(h[k].name, h[i].name, h[i].nlen) == 0)
				cnt++;
		jw_keyn(w, h[i].name, h[i].nlen);
		if (cnt == 1) {
			json_quote(w->b, h[i].val, h[i].vlen);
			continue;
		}
		buf_addc(w->b, '[');
		for (k = 0, j = 0; k < n; k++) {
			if (h[k].nlen != h[i].nlen ||
			    strncasecmp(h[k].name, h[i].name, h[i].nlen) != 0)
				continue;
			if (j++ > 0)
				buf_addc(w->b, ',');
			json_quote(w->b, h[k].val, h[k].vlen);
		}
		buf_addc(w->b, ']');
	}
	jw_obj_end(w);
}

const char *
api_header_subject(struct api *a, const char *block)
{
	struct hdr *h;
	int n, i;

	h = headers_split(a, block, &n);
	for (i = 0; i < n; i++)
		if (h[i].nlen == 7 && strncasecmp(h[i].name, "Subject", 7) == 0)
			return arena_strndup(a->r->arena, h[i].val, h[i].vlen);
	return "";
}

/* Length of a leading "re:", "fw " or "fwd:" and blanks after it, or 0. */
static size_t
reply_prefix(const char *p)
{
	static const char *const words[] = { "re", "fw", "fwd" };
	size_t i, n, k;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (strncasecmp(p, words[i], n) != 0 ||
		    (p[n] != ':' && !isspace((unsigned char)p[n])))
			continue;
		for (k = n + 1; isspace((unsigned char)p[k]); k++)
			;
		return k;
	}
	return 0;
}

/*
 * parser.clean_subject()'s prefixes: drop one leading Re:/Fw:/Fwd:,
 * squeeze blanks, then peel "[a,b c]" groups off the front; every token
 * but "PATCH" (any case) is a prefix.
 */
void
api_prefixes(struct api *a, const char *key, const char *name)
{
	struct jw *w = &a->jw;
	struct buf *b = a->tmp;
	const char *p;
	size_t i = 0;

	buf_reset(b);
	p = name != NULL ? name : "";
	p += reply_prefix(p);
	/* normalise_space */
	for (; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			if (b->len > 0 && b->s[b->len - 1] != ' ')
				buf_addc(b, ' ');
		} else
			buf_addc(b, *p);
	}
	jw_arr(w, key);
	while (i < b->len && b->s[i] == '[') {
		const char *close = memchr(b->s + i, ']', b->len - i);
		size_t j, end;

		if (close == NULL)
			break;
		end = (size_t)(close - b->s);
		for (j = i + 1; j < end; ) {
			size_t t = j;

			while (t < end && b->s[t] != ',' && b->s[t] != ' ')
				t++;
			if (t > j && !(t - j == 5 &&
			    strncasecmp(b->s + j, "patch", 5) == 0))
				jw_strn(w, NULL, b->s + j, t - j);
			j = t + 1;
		}
		i = end + 1;
		while (i < b->len && b->s[i] == ' ')
			i++;
	}
	jw_arr_end(w);
}

void
api_param_search(struct api *a, struct dbparam *p)
{
	const char **terms;
	int n;

	terms = api_search_terms(a, &n);
	p[0] = n > 0 ? DB_STR(terms[0]) : DB_NULL;
	p[1] = n > 1 ? DB_STR(api_pg_strs(a, terms, n)) : DB_NULL;
}
