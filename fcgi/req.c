/*
 * Requests and responses: FastCGI parameters in, one buffered response
 * out.
 *
 * The path comes from REQUEST_URI, which etc/nginx passes on purpose as
 * nginx's $request_uri: the raw, undecoded target.  nginx's $uri (and so
 * a PATH_INFO built from it) is already percent-decoded, which would make
 * a Message-ID holding "%2F" indistinguishable from one holding "/" (see
 * the web spec, 1.1).  When REQUEST_URI is absent (another server, a
 * hand-run CGI), PATH_INFO is used.  The path is then canonicalised here:
 * percent-encoded unreserved characters are decoded, "//", "." and ".."
 * are collapsed; everything else stays percent-encoded until the router
 * decodes a segment it matched.
 */
#include <sys/uio.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "arena.h"
#include "conf.h"
#include "log.h"
#include "pwfcgi.h"

static long req_pid;

void
req_setup(struct req *r, struct arena *a, struct db *db,
    const struct conf *c)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->db = db;
	r->conf = c;
	buf_init(&r->hdr, 256);
	buf_init(&r->out, 8192);
	buf_init(&r->wire, 8192);
	req_pid = (long)getpid();
}

const char *
req_env(const struct req *r, const char *name)
{
	char **p;
	size_t n = strlen(name);

	if (r->envp == NULL)
		return NULL;
	for (p = r->envp; *p != NULL; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s in place ("+" is a space when plus is set, as in a
 * query string); a "%" not followed by two hex digits stays literal.
 * Returns the new length.  The result may hold NUL bytes.
 */
size_t
url_decode(char *s, int plus)
{
	char *w = s;
	const char *p = s;
	int hi, lo;

	while (*p != '\0') {
		if (*p == '%' && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			*w++ = (char)(hi << 4 | lo);
			p += 3;
		} else if (*p == '+' && plus) {
			*w++ = ' ';
			p++;
		} else
			*w++ = *p++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int
unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/*
 * Canonicalise an absolute path in place (RFC 3986 6.2.2 and 5.2.4):
 * "%41" becomes "A" (unreserved characters only), other escapes get
 * upper-case hex digits, empty and "." segments disappear, ".." removes
 * the segment before it.  A trailing slash survives, and a path ending in
 * "." or ".." ends in a slash.  Returns -1 for a relative path, a bad
 * escape, a NUL byte, or ".." above the root.
 */
int
path_canon(char *s)
{
	char *w, *p, *seg;
	int hi, lo, c, trailing = 0;

	if (s[0] != '/')
		return -1;
	/* Pass 1: normalise escapes. */
	for (p = w = s; *p != '\0'; p++) {
		if (*p != '%') {
			*w++ = *p;
			continue;
		}
		if ((hi = hexval(p[1])) < 0 || (lo = hexval(p[2])) < 0)
			return -1;
		c = hi << 4 | lo;
		if (c == 0)
			return -1;
		if (unreserved(c))
			*w++ = (char)c;
		else {
			*w++ = '%';
			*w++ = "0123456789ABCDEF"[hi];
			*w++ = "0123456789ABCDEF"[lo];
		}
		p += 2;
	}
	*w = '\0';

	/* Pass 2: segments.  w is where the next "/seg" goes. */
	w = s;
	p = s;
	for (;;) {
		size_t n;

		while (*p == '/')
			p++;
		if (*p == '\0') {
			trailing = 1;
			break;
		}
		seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.')) {
			if (n == 2) {
				if (w == s)
					return -1;
				while (w > s && *--w != '/')
					;
			}
			if (*p == '\0') {
				trailing = 1;
				break;
			}
			continue;
		}
		*w++ = '/';
		memmove(w, seg, n);
		w += n;
		if (*p == '\0')
			break;
	}
	if (trailing || w == s)
		*w++ = '/';
	*w = '\0';
	return 0;
}

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * s[0..n) as valid UTF-8: each invalid sequence becomes U+FFFD, as
 * Python decodes with errors="replace"; a NUL ends the string.  Returns
 * s itself when it was valid, else a copy in the arena.
 */
static char *
utf8_replace(struct arena *a, char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *w;
	size_t i = 0, k, len;
	unsigned c;
	int bad = 0;

	n = strnlen(s, n);
	for (;;) {
		out = w = bad ? arena_alloc(a, 3 * n + 1) : NULL;
		for (i = 0; i < n; i += len) {
			c = p[i];
			len = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 :
			    (c >= 0xe0 && c <= 0xef) ? 3 :
			    (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
			for (k = 1; len > 1 && k < len; k++)
				if (i + k >= n || (p[i + k] & 0xc0) != 0x80 ||
				    (k == 1 && ((c == 0xe0 && p[i + 1] < 0xa0) ||
				    (c == 0xed && p[i + 1] > 0x9f) ||
				    (c == 0xf0 && p[i + 1] < 0x90) ||
				    (c == 0xf4 && p[i + 1] > 0x8f))))
					break;
			if (len == 0 || k < len) {
				if (!bad)
					break;
				memcpy(w, "\xef\xbf\xbd", 3);
				w += 3;
				len = len == 0 ? 1 : k;
				continue;
			}
			if (bad) {
				memcpy(w, p + i, len);
				w += len;
			}
		}
		if (bad) {
			*w = '\0';
			return out;
		}
		if (i >= n) {
			s[n] = '\0';
			return s;
		}
		bad = 1;
	}
}

/* Split "k=v&k2=v2" into decoded pairs (sep '&'), or cookies (sep ';'). */
static size_t
parse_pairs(struct arena *a, const char *src, int sep, int plus,
    struct kv **out)
{
	struct kv *kv;
	char *s, *p, *e, *eq;
	size_t n = 1, i = 0;

	if (*src == '\0') {
		*out = NULL;
		return 0;
	}
	for (p = (char *)src; *p != '\0'; p++)
		if (*p == sep)
			n++;
	kv = ARENA_NEW(a, struct kv, n);
	s = arena_strdup(a, src);
	for (p = s; p != NULL; p = e) {
		if ((e = strchr(p, sep)) != NULL)
			*e++ = '\0';
		if (sep == ';')
			while (*p == ' ')
				p++;
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		else
			eq = p + strlen(p);
		if (plus >= 0) {
			/* Django decodes with errors="replace". */
			p = utf8_replace(a, p, url_decode(p, plus));
			eq = utf8_replace(a, eq, url_decode(eq, plus));
		}
		kv[i].key = p;
		kv[i].val = eq;
		i++;
	}
	*out = kv;
	return i;
}

/* A Host header we are willing to echo into URLs: name or [v6], :port. */
static int
host_ok(const char *h)
{
	size_t n = 0;

	for (; *h != '\0'; h++, n++)
		if (!isalnum((unsigned char)*h) && strchr(".-_:[]", *h) == NULL)
			return 0;
	return n > 0 && n <= 255;
}

static enum http_method
method_parse(const char *m)
{
	static const struct {
		const char		*name;
		enum http_method	 m;
	} tab[] = {
		{ "GET", HTTP_GET }, { "POST", HTTP_POST },
		{ "PUT", HTTP_PUT }, { "PATCH", HTTP_PATCH },
		{ "DELETE", HTTP_DELETE }, { "HEAD", HTTP_HEAD },
		{ "OPTIONS", HTTP_OPTIONS },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(m, tab[i].name) == 0)
			return tab[i].m;
	return HTTP_OTHER;
}

/* An unknown method we may repeat: 1 to 16 upper-case letters. */
static int
method_token(const char *m)
{
	size_t n = 0;

	for (; *m != '\0'; m++, n++)
		if (*m < 'A' || *m > 'Z')
			return 0;
	return n > 0 && n <= 16;
}

const char *
http_method_name(unsigned m)
{
	switch (m) {
	case HTTP_GET:		return "GET";
	case HTTP_POST:		return "POST";
	case HTTP_PUT:		return "PUT";
	case HTTP_PATCH:	return "PATCH";
	case HTTP_DELETE:	return "DELETE";
	case HTTP_HEAD:		return "HEAD";
	case HTTP_OPTIONS:	return "OPTIONS";
	default:		return "OTHER";
	}
}

/* Read the body: 0, or an HTTP status (400 short, 413 too large). */
static int
read_body(struct req *r, const char *cl)
{
	unsigned long long len;
	size_t got = 0;
	char *end;
	int n;

	if (cl == NULL || *cl == '\0')
		return 0;
	errno = 0;
	len = strtoull(cl, &end, 10);
	if (*end != '\0' || errno != 0 || cl[0] == '-')
		return 400;
	if (len == 0)
		return 0;
	if (len > r->conf->http.max_body)
		return 413;
	r->body = arena_alloc(r->arena, (size_t)len + 1);
	while (got < len) {
		if (r->fcgx != NULL) {
			n = FCGX_GetStr(r->body + got, (int)(len - got),
			    ((FCGX_Request *)r->fcgx)->in);
			if (n <= 0)
				break;
		} else {
			size_t k = fread(r->body + got, 1, len - got, stdin);
			if (k == 0)
				break;
			n = (int)k;
		}
		got += (size_t)n;
	}
	r->body_len = got;
	r->body[got] = '\0';
	if (got < len) {
		log_warnx("request body: got %zu of %llu bytes", got, len);
		return 400;
	}
	return 0;
}

/* Decimal digits of v at the end of buf[32]; returns the first. */
static char *
utoa(unsigned long long v, char *end)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

/* Append s to dst[*n..cap), truncating, always terminated. */
static void
cat(char *dst, size_t *n, size_t cap, const char *s)
{
	size_t k = strlen(s);

	if (k > cap - 1 - *n)
		k = cap - 1 - *n;
	memcpy(dst + *n, s, k);
	*n += k;
	dst[*n] = '\0';
}

/* "[pid.seq] METHOD /path", control characters replaced. */
static void
set_log_prefix(struct req *r)
{
	char pfx[128];
	size_t i, n = 0;

	pfx[0] = '\0';
	cat(pfx, &n, sizeof(pfx), "[");
	cat(pfx, &n, sizeof(pfx), r->id);
	cat(pfx, &n, sizeof(pfx), "] ");
	cat(pfx, &n, sizeof(pfx), r->method_name);
	cat(pfx, &n, sizeof(pfx), " ");
	cat(pfx, &n, sizeof(pfx), r->path != NULL ? r->path : "-");
	for (i = 0; i < n; i++)
		if ((unsigned char)pfx[i] < 0x20 || pfx[i] == 0x7f)
			pfx[i] = '?';
	log_set_prefix(pfx);
}

/* The parameters req_begin() reads, found in one pass over envp. */
enum {
	E_METHOD,
	E_URI,
	E_PATH_INFO,
	E_QUERY,
	E_HTTPS,
	E_SCHEME,
	E_HOST,
	E_SERVER_NAME,
	E_COOKIE,
	E_CTYPE,
	E_CLEN,
	E__MAX
};

static const struct {
	const char	*name;
	size_t		 len;
} env_names[E__MAX] = {
#define E(i, s)	[i] = { s, sizeof(s) - 1 }
	E(E_METHOD, "REQUEST_METHOD"),
	E(E_URI, "REQUEST_URI"),
	E(E_PATH_INFO, "PATH_INFO"),
	E(E_QUERY, "QUERY_STRING"),
	E(E_HTTPS, "HTTPS"),
	E(E_SCHEME, "REQUEST_SCHEME"),
	E(E_HOST, "HTTP_HOST"),
	E(E_SERVER_NAME, "SERVER_NAME"),
	E(E_COOKIE, "HTTP_COOKIE"),
	E(E_CTYPE, "CONTENT_TYPE"),
	E(E_CLEN, "CONTENT_LENGTH"),
#undef E
};

static void
env_scan(char **envp, const char *v[E__MAX])
{
	const char *s, *eq;
	size_t n;
	int i;

	for (i = 0; i < E__MAX; i++)
		v[i] = NULL;
	for (; envp != NULL && *envp != NULL; envp++) {
		s = *envp;
		if ((eq = strchr(s, '=')) == NULL)
			continue;
		n = (size_t)(eq - s);
		for (i = 0; i < E__MAX; i++)
			if (env_names[i].len == n &&
			    memcmp(s, env_names[i].name, n) == 0) {
				if (v[i] == NULL)
					v[i] = eq + 1;
				break;
			}
	}
}

void
req_begin(struct req *r, void *fcgx, char **envp)
{
	const char *env[E__MAX], *uri, *q, *v;
	char num[32], *path;
	size_t n = 0;
	int st;

	r->fcgx = fcgx;
	r->envp = envp;
	r->seq++;
	r->id[0] = '\0';
	cat(r->id, &n, sizeof(r->id), utoa((unsigned long long)req_pid,
	    num + sizeof(num)));
	cat(r->id, &n, sizeof(r->id), ".");
	cat(r->id, &n, sizeof(r->id), utoa(r->seq, num + sizeof(num)));
	r->path = NULL;
	r->query = "";
	r->args = r->cookies = NULL;
	r->nargs = r->ncookies = 0;
	r->host = NULL;
	r->scheme = "http";
	r->content_type = NULL;
	r->body = NULL;
	r->body_len = 0;
	r->route = NULL;
	r->api_version = API_VERSION_LATEST;
	r->nparams = 0;
	r->streaming = 0;
	r->streamed = 0;
	r->user = NULL;
	r->auth_done = 0;
	r->auth_status = 0;
	r->status = 0;
	r->error_body = 0;
	r->ctype = NULL;
	buf_reset(&r->hdr);
	buf_reset(&r->out);
	buf_reset(&r->wire);
	env_scan(envp, env);

	v = env[E_METHOD];
	r->method_name = v != NULL ? v : "GET";
	r->method = method_parse(r->method_name);
	if (r->method == HTTP_OTHER && !method_token(r->method_name))
		r->method_name = "OTHER";	/* keep junk out of logs, pages */

	uri = env[E_URI];
	if (uri != NULL && *uri != '\0') {
		q = strchr(uri, '?');
		path = q != NULL ? arena_strndup(r->arena, uri,
		    (size_t)(q - uri)) : arena_strdup(r->arena, uri);
		if (q != NULL)
			r->query = q + 1;
	} else {
		v = env[E_PATH_INFO];
		path = arena_strdup(r->arena, v != NULL && *v != '\0' ? v : "/");
	}
	if (env[E_QUERY] != NULL)
		r->query = env[E_QUERY];
	if (has_ctl(path) || has_ctl(r->query) || path_canon(path) == -1) {
		r->path = "/";
		set_log_prefix(r);
		log_debug("bad request target");
		r->status = 400;
		return;
	}
	r->path = path;
	set_log_prefix(r);

	if (((v = env[E_HTTPS]) != NULL && strcasecmp(v, "on") == 0) ||
	    ((v = env[E_SCHEME]) != NULL && strcmp(v, "https") == 0))
		r->scheme = "https";
	if ((v = env[E_HOST]) != NULL && *v != '\0') {
		if (!host_ok(v)) {
			r->status = 400;
			return;
		}
		r->host = v;
	} else if ((v = env[E_SERVER_NAME]) != NULL && host_ok(v))
		r->host = v;

	r->nargs = parse_pairs(r->arena, r->query, '&', 1, &r->args);
	if ((v = env[E_COOKIE]) != NULL)
		r->ncookies = parse_pairs(r->arena, v, ';', -1, &r->cookies);
	if ((v = env[E_CTYPE]) != NULL && *v != '\0')
		r->content_type = v;
	if ((st = read_body(r, env[E_CLEN])) != 0)
		r->status = st;
}

const char *
req_arg(const struct req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].key, key) == 0)
			return r->args[i].val;
	return NULL;
}

const char *
req_cookie(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ncookies; i++)
		if (strcmp(r->cookies[i].key, name) == 0)
			return r->cookies[i].val;
	return NULL;
}

const char *
req_param(const struct req *r, const char *name)
{
	int i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].s;
	return NULL;
}

int
req_param_i64(const struct req *r, const char *name, int64_t *v)
{
	int i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0) {
			*v = r->params[i].i;
			return 0;
		}
	return -1;
}

/*
 * The scheme and authority for absolute URLs: http.base_url when set (its
 * trailing slash removed), else the request's scheme and validated Host.
 */
const char *
req_base_url(struct req *r)
{
	const char *b = r->conf->http.base_url;
	size_t n;

	if (b != NULL && *b != '\0') {
		n = strlen(b);
		while (n > 0 && b[n - 1] == '/')
			n--;
		return arena_strndup(r->arena, b, n);
	}
	return arena_printf(r->arena, "%s://%s", r->scheme,
	    r->host != NULL ? r->host : "localhost");
}

void
resp_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	size_t start;

	buf_adds(&r->hdr, name);
	buf_add(&r->hdr, ": ", 2);
	start = r->hdr.len;
	va_start(ap, fmt);
	buf_vaddf(&r->hdr, fmt, ap);
	va_end(ap);
	/* A header value never carries a line break. */
	for (; start < r->hdr.len; start++)
		if (r->hdr.s[start] == '\r' || r->hdr.s[start] == '\n')
			r->hdr.s[start] = ' ';
	buf_add(&r->hdr, "\r\n", 2);
}

int
resp_redirect(struct req *r, int status, const char *location)
{
	buf_reset(&r->out);
	resp_header(r, "Location", "%s", location);
	return status;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200:	return "OK";
	case 201:	return "Created";
	case 204:	return "No Content";
	case 301:	return "Moved Permanently";
	case 302:	return "Found";
	case 303:	return "See Other";
	case 304:	return "Not Modified";
	case 400:	return "Bad Request";
	case 401:	return "Unauthorized";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 409:	return "Conflict";
	case 413:	return "Payload Too Large";
	case 415:	return "Unsupported Media Type";
	case 500:	return "Internal Server Error";
	case 503:	return "Service Unavailable";
	default:	return "Unknown";
	}
}

static void
wire_write(struct req *r, const char *s, size_t n)
{
	if (r->fcgx != NULL) {
		FCGX_Request *f = r->fcgx;

		if (FCGX_PutStr(s, (int)n, f->out) < 0)
			log_debug("client went away");
	} else if (fwrite(s, 1, n, stdout) != n || fflush(stdout) == EOF)
		log_warn("stdout");
}

/*
 * A whole response, head then body, as FastCGI STDOUT records written
 * with writev() straight to the connection: one system call, where
 * libfcgi's 8 kB stream buffer makes one write per 8 kB and a copy of
 * every byte.  Only before anything went through f->out (whose buffer is
 * then empty, so FCGX_Finish_r() adds just the end-of-stream and
 * end-of-request records, in one more write).  -1 when the connection
 * failed.
 */
#define FCGI_REC_MAX	65535
#define IOV_BATCH	48

static int
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = writev(fd, iov, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int
fcgi_send(FCGX_Request *f, const char *a, size_t an, const char *b,
    size_t bn)
{
	unsigned char hdr[IOV_BATCH / 3][8];
	struct iovec iov[IOV_BATCH];
	size_t rec, take;
	int n = 0, h = 0;

	while (an + bn > 0) {
		rec = an + bn < FCGI_REC_MAX ? an + bn : FCGI_REC_MAX;
		hdr[h][0] = 1;			/* FCGI_VERSION_1 */
		hdr[h][1] = 6;			/* FCGI_STDOUT */
		hdr[h][2] = (unsigned char)(f->requestId >> 8);
		hdr[h][3] = (unsigned char)f->requestId;
		hdr[h][4] = (unsigned char)(rec >> 8);
		hdr[h][5] = (unsigned char)rec;
		hdr[h][6] = hdr[h][7] = 0;	/* no padding */
		iov[n].iov_base = hdr[h++];
		iov[n++].iov_len = 8;
		if (an > 0) {
			take = an < rec ? an : rec;
			iov[n].iov_base = (void *)a;
			iov[n++].iov_len = take;
			a += take;
			an -= take;
			rec -= take;
		}
		if (rec > 0) {
			iov[n].iov_base = (void *)b;
			iov[n++].iov_len = rec;
			b += rec;
			bn -= rec;
		}
		if (n + 3 > IOV_BATCH || an + bn == 0) {
			if (writev_all(f->ipcFd, iov, n) == -1)
				return -1;
			n = h = 0;
		}
	}
	return 0;
}

/* Status line, Content-Type and the handler's headers into r->wire. */
static void
wire_head(struct req *r)
{
	struct buf *w = &r->wire;
	char num[32];

	buf_reset(w);
	buf_add(w, "Status: ", 8);
	buf_adds(w, utoa((unsigned long long)r->status, num + sizeof(num)));
	buf_addc(w, ' ');
	buf_adds(w, http_reason(r->status));
	if (r->ctype != NULL) {
		buf_add(w, "\r\nContent-Type: ", 16);
		buf_adds(w, r->ctype);
	}
	buf_add(w, "\r\n", 2);
}

/*
 * Streaming, for downloads too large to hold: the first call sends the
 * headers (status 200, r->ctype, r->hdr; no Content-Length) and what
 * r->out holds, later calls send what r->out has gathered since.  Once
 * streaming, the status can no longer change: a failure later can only
 * cut the body short.  HEAD requests never stream.
 */
void
resp_stream(struct req *r)
{
	if (r->method == HTTP_HEAD)
		return;
	if (!r->streaming) {
		r->status = 200;
		wire_head(r);
		buf_add(&r->wire, "X-Frame-Options: DENY\r\n", 24);
		buf_add(&r->wire, r->hdr.s, r->hdr.len);
		buf_add(&r->wire, "\r\n", 2);
		wire_write(r, r->wire.s, r->wire.len);
		r->streaming = 1;
	}
	if (r->out.len > 0)
		wire_write(r, r->out.s, r->out.len);
	r->streamed += r->out.len;
	buf_reset(&r->out);
}

/*
 * Send the response: status, Content-Type, Content-Length, the handler's
 * headers, then the body unless the method is HEAD.  One write (see
 * fcgi_send()).
 */
void
req_finish(struct req *r)
{
	struct buf *w = &r->wire;
	char num[32];

	if (r->streaming) {
		resp_stream(r);
		log_debug("answered %d, %zu bytes streamed", r->status,
		    r->streamed);
		return;
	}
	if (r->status == 0) {
		log_warnx("handler decided no status");
		resp_error(r, 500, NULL);
	}
	wire_head(r);
	buf_add(w, "Content-Length: ", 16);
	buf_adds(w, utoa(r->out.len, num + sizeof(num)));
	buf_add(w, "\r\nX-Frame-Options: DENY\r\n", 25);
	buf_add(w, r->hdr.s, r->hdr.len);
	buf_add(w, "\r\n", 2);
	if (r->fcgx != NULL) {
		if (fcgi_send(r->fcgx, w->s, w->len, r->out.s,
		    r->method != HTTP_HEAD ? r->out.len : 0) == -1)
			log_debug("client went away");
	} else {
		if (r->method != HTTP_HEAD)
			buf_add(w, r->out.s, r->out.len);
		wire_write(r, w->s, w->len);
	}
	if (r->status >= 500)
		log_warnx("answered %d", r->status);
	else
		log_debug("answered %d, %zu bytes", r->status, r->out.len);
}

void
req_cleanup(struct req *r)
{
	arena_reset(r->arena);
	log_set_prefix(NULL);
	r->path = NULL;
	/* Give back memory a huge response grabbed. */
	if (r->out.cap > 4 * 1024 * 1024)
		buf_release(&r->out);
	if (r->wire.cap > 4 * 1024 * 1024)
		buf_release(&r->wire);
}

/* The response body is o, as JSON; drops o. */
void
json_put(struct req *r, struct json_object *o)
{
	json_write(&r->out, o);
	json_object_put(o);
	r->ctype = "application/json";
}
