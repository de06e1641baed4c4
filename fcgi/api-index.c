/*
 * GET /api/ and /api/1.0/ ... /api/1.4/: the API index.
 *
 * This is the floor every endpoint is measured against (bench/floor.sh),
 * so it touches no database and allocates nothing per request: with
 * http.base_url set, the six bodies (unversioned and one per version) are
 * built once at start-up; without it, the body is assembled from the
 * request's scheme and Host into the response buffer.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "pwfcgi.h"

/* Django's order: patchwork/api/index.py. */
static const char *const resources[] = {
	"projects", "users", "people", "patches", "covers", "series",
	"events", "bundles",
};

#define NVERSIONS	(API_VERSION_MAX - API_VERSION_MIN + 2)

static struct buf prebuilt[NVERSIONS];	/* [0] unversioned, [1] 1.0, ... */
static int have_prebuilt;

static void
build(struct buf *b, const char *base, size_t baselen, int version)
{
	char ver[8] = "";
	size_t i, vlen = 0;

	if (version != API_VERSION_LATEST)
		vlen = (size_t)snprintf(ver, sizeof(ver), "%d.%d/",
		    version / 10, version % 10);
	buf_addc(b, '{');
	for (i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_addc(b, '"');
		buf_adds(b, resources[i]);
		buf_add(b, "\":\"", 3);
		json_escape(b, base, baselen);
		buf_add(b, "/api/", 5);
		buf_add(b, ver, vlen);
		buf_adds(b, resources[i]);
		buf_add(b, "/\"", 2);
	}
	buf_addc(b, '}');
}

/* Pre-build the bodies when the base URL is fixed by configuration. */
int
api_index_init(const char *base_url)
{
	size_t n;
	int v;

	if (base_url == NULL || *base_url == '\0')
		return 0;
	n = strlen(base_url);
	while (n > 0 && base_url[n - 1] == '/')
		n--;
	build(&prebuilt[0], base_url, n, API_VERSION_LATEST);
	for (v = API_VERSION_MIN; v <= API_VERSION_MAX; v++)
		build(&prebuilt[v - API_VERSION_MIN + 1], base_url, n, v);
	have_prebuilt = 1;
	return 0;
}

/*
 * GET /api/[version/]: 200 with the object of absolute list URLs, keys
 * in Django's order, the version segment of the request repeated in
 * every URL.  Anyone may ask; no database.
 */
int
api_index(struct req *r)
{
	const char *base;
	int i;

	r->ctype = "application/json";
	if (have_prebuilt) {
		i = r->api_version == API_VERSION_LATEST ? 0 :
		    r->api_version - API_VERSION_MIN + 1;
		buf_add(&r->out, prebuilt[i].s, prebuilt[i].len);
		return 200;
	}
	base = req_base_url(r);
	build(&r->out, base, strlen(base), r->api_version);
	return 200;
}
