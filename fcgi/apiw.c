/*
 * Small things the write handlers share: URLs of API objects, the status
 * a database failure becomes, and Django's URL validation.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"

int
apiw_has_version(const struct req *r, int v)
{
	return r->api_version == API_VERSION_LATEST || r->api_version >= v;
}

/* "https://host/api/1.2/" + path: the request's own version segment. */
const char *
apiw_url(struct req *r, const char *fmt, ...)
{
	const char *path;
	va_list ap;

	va_start(ap, fmt);
	path = arena_vprintf(r->arena, fmt, ap);
	va_end(ap);
	if (r->api_version == API_VERSION_LATEST)
		return arena_printf(r->arena, "%s/api/%s", req_base_url(r),
		    path);
	return arena_printf(r->arena, "%s/api/%d.%d/%s", req_base_url(r),
	    r->api_version / 10, r->api_version % 10, path);
}

/* A failed statement: 503 if the database is away, else 500. */
int
apiw_dberr(struct req *r)
{
	db_rollback(r->db);
	return r->db->err == DB_UNAVAILABLE ? 503 : 500;
}

/*
 * Django's URLValidator (5.x) with its default schemes: http, https,
 * ftp, ftps; a host that is an IPv4 address, a bracketed IPv6 address,
 * "localhost" or a name with a top-level domain; an optional user:pass@,
 * port (at most 65535) and path.  Case-insensitive, Unicode letters
 * allowed in names.
 */
#define UL "\\x{a1}-\\x{ffff}"
static const char url_re[] =
    "^(?:[a-z0-9.+-]*)://"
    "(?:[^\\s:@/]+(?::[^\\s:@/]*)?@)?"
    "(?:(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"
    "(?:\\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}"
    "|\\[[0-9a-f:.]+\\]"
    "|([a-z" UL "0-9](?:[a-z" UL "0-9-]{0,61}[a-z" UL "0-9])?"
    "(?:\\.(?!-)[a-z" UL "0-9-]{1,63}(?<!-))*"
    "\\.(?!-)(?:[a-z" UL "-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\\.?"
    "|localhost))"
    "(?::([0-9]{1,5}))?"
    "(?:[/?#][^\\s]*)?\\z";

int
apiw_url_valid(const char *s)
{
	static pcre2_code *re;
	static pcre2_match_data *md;
	PCRE2_SIZE *ov, off;
	size_t n = strlen(s);
	const char *colon;
	int err, rc;

	if (re == NULL) {
		re = pcre2_compile((PCRE2_SPTR)url_re, PCRE2_ZERO_TERMINATED,
		    PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
		if (re == NULL)
			return 0;
		md = pcre2_match_data_create_from_pattern(re, NULL);
	}
	if (n > 2048 || strpbrk(s, "\t\r\n") != NULL)
		return 0;
	if ((colon = strstr(s, "://")) == NULL)
		return 0;
	n = (size_t)(colon - s);
	if (!((n == 4 && strncasecmp(s, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(s, "https", 5) == 0) ||
	    (n == 3 && strncasecmp(s, "ftp", 3) == 0) ||
	    (n == 4 && strncasecmp(s, "ftps", 4) == 0)))
		return 0;
	rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	if (rc < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(md);
	if (rc > 2 && ov[4] != PCRE2_UNSET &&
	    strtol(s + ov[4], NULL, 10) > 65535)
		return 0;
	return 1;
}
