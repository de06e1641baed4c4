#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "depends.h"
#include "rx.h"
#include "xalloc.h"

static struct rx *url_rx, *msgid_rx;

/* Room for element n of an array of n elements: doubles at powers of two. */
static void *
grow1(void *p, size_t n, size_t sz)
{
	if ((n & (n - 1)) == 0)
		p = xreallocarray(p, n ? 2 * n : 1, sz);
	return p;
}

static void
add_dep(struct dep **deps, size_t *n, enum dep_kind kind, char *msgid,
    int64_t series)
{
	*deps = grow1(*deps, *n, sizeof(**deps));
	(*deps)[*n].kind = kind;
	(*deps)[*n].msgid = msgid;
	(*deps)[*n].series = series;
	(*n)++;
}

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* parse_qs(query)["series"][0] as an int; -1 when absent or not one */
static int64_t
series_param(const char *q, size_t n)
{
	struct buf v = BUF_INIT;
	size_t i = 0, j, k, e;
	int64_t id = -1;

	while (i < n) {
		for (j = i; j < n && q[j] != '&'; j++)
			;
		/* key=value with percent-decoding; blank values are skipped */
		for (e = i; e < j && q[e] != '='; e++)
			;
		if (e < j && e - i == 6 && memcmp(q + i, "series", 6) == 0 &&
		    j > e + 1) {
			buf_reset(&v);
			for (k = e + 1; k < j; k++) {
				if (q[k] == '%' && j - k >= 3 &&
				    hexv(q[k + 1]) >= 0 && hexv(q[k + 2]) >= 0) {
					buf_addc(&v, hexv(q[k + 1]) << 4 | hexv(q[k + 2]));
					k += 2;
				} else
					buf_addc(&v, q[k] == '+' ? ' ' : q[k]);
			}
			break;
		}
		i = j + 1;
	}
	if (v.len > 0) {
		/* int(): optional surrounding whitespace and sign */
		const char *p = v.s;
		char *end;
		long long x;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p >= '0' && *p <= '9') {
			x = strtoll(p, &end, 10);
			while (*end == ' ' || *end == '\t')
				end++;
			if (*end == '\0' && x >= 0)
				id = x;
		}
	}
	buf_release(&v);
	return id;
}

/* path relative to the site root, e.g. "project/x/list/" */
static void
resolve(const char *path, size_t plen, const char *query, size_t qlen,
    struct dep **deps, size_t *n)
{
	const char *seg, *slash;
	size_t rest;

	if (plen < 9 || memcmp(path, "project/", 8) != 0)
		return;
	seg = path + 8;
	rest = plen - 8;
	slash = memchr(seg, '/', rest);
	if (slash == NULL || slash == seg)
		return;
	rest -= (size_t)(slash - seg) + 1;
	seg = slash + 1;
	if (rest == 5 && memcmp(seg, "list/", 5) == 0) {
		int64_t id = series_param(query, qlen);

		if (id >= 0)
			add_dep(deps, n, DEP_SERIES, NULL, id);
		return;
	}
	if (rest > 7 && memcmp(seg, "patch/", 6) == 0 && seg[rest - 1] == '/') {
		struct buf m = BUF_INIT;
		const char *id = seg + 6;
		size_t idlen = rest - 7, i;

		if (idlen == 0 || memchr(id, '/', idlen) != NULL)
			return;
		buf_addc(&m, '<');
		for (i = 0; i < idlen; i++) {
			if (idlen - i >= 3 && memcmp(id + i, "%2F", 3) == 0) {
				buf_addc(&m, '/');
				i += 2;
			} else
				buf_addc(&m, id[i]);
		}
		buf_addc(&m, '>');
		add_dep(deps, n, DEP_MSGID, buf_detach(&m, NULL), 0);
	}
}

static void
url_dep(const char *u, size_t len, const char *base, struct dep **deps,
    size_t *n)
{
	const char *p, *host, *path, *q;
	size_t hl, plen, qlen = 0, bl;

	p = memchr(u, ':', len);
	if (p == NULL || (size_t)(p - u) + 3 > len || p[1] != '/' || p[2] != '/')
		return;
	host = p + 3;
	hl = len - (size_t)(host - u);
	path = host;
	while (path < host + hl && *path != '/' && *path != '?')
		path++;
	if (path >= host + hl || *path != '/')
		return;
	plen = (size_t)(u + len - path);
	q = memchr(path, '?', plen);
	if (q != NULL) {
		qlen = plen - (size_t)(q - path) - 1;
		plen = (size_t)(q - path);
		q++;
	} else
		q = "";
	/* route match from the root, then below the configured base path */
	if (base != NULL && (bl = strlen(base)) > 0 && base[bl - 1] == '/')
		bl--;
	else
		bl = base ? strlen(base) : 0;
	if (bl > 0 && plen > bl && memcmp(path, base, bl) == 0 &&
	    path[bl] == '/') {
		size_t before = *n;

		resolve(path + bl + 1, plen - bl - 1, q, qlen, deps, n);
		if (*n > before)
			return;
	}
	resolve(path + 1, plen - 1, q, qlen, deps, n);
}

void
depends_parse(const char *text, size_t len, const char *base,
    struct dep **deps, size_t *n)
{
	size_t ov[4], start;
	const char *p;

	*deps = NULL;
	*n = 0;
	/* cheap test first: most mails have no such line */
	for (p = text; (p = memchr(p, ':', len - (size_t)(p - text))) != NULL; p++)
		if (p - text >= 10 && strncasecmp(p - 10, "Depends-on", 10) == 0)
			break;
	if (p == NULL)
		return;
	if (url_rx == NULL)
		url_rx = rx_compile("^Depends-on: "
		    "(http[s]?:\\/\\/[\\w\\d\\-.\\/=&@:%?_\\+()]+)\\s*$",
		    RX_MULTILINE | RX_ICASE, NULL, 0);
	if (msgid_rx == NULL)
		msgid_rx = rx_compile("^Depends-on: (<[^>]+>)\\s*$",
		    RX_MULTILINE | RX_ICASE, NULL, 0);
	for (start = 0; url_rx != NULL &&
	    rx_match(url_rx, text, len, start, 0, ov, 2) >= 2; start = ov[1]) {
		url_dep(text + ov[2], ov[3] - ov[2], base, deps, n);
		if (ov[1] == ov[0])
			break;
	}
	for (start = 0; msgid_rx != NULL &&
	    rx_match(msgid_rx, text, len, start, 0, ov, 2) >= 2; start = ov[1]) {
		add_dep(deps, n, DEP_MSGID,
		    xstrndup(text + ov[2], ov[3] - ov[2]), 0);
		if (ov[1] == ov[0])
			break;
	}
}

void
depends_free(struct dep *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(d[i].msgid);
	free(d);
}
