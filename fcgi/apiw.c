/*
 * Small things the write handlers share: URLs of API objects, and the
 * status a database failure becomes.
 */
#include <stdarg.h>
#include <string.h>

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
