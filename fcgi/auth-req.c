/*
 * Who is asking: sessions, HTTP Basic, API tokens (REST spec 2.6).
 *
 * The schemes are tried in Django REST framework's order: a session
 * cookie naming a logged-in, active user wins (and then an unsafe method
 * needs a CSRF token); otherwise the Authorization header is read.  A
 * Basic or Token header that does not check out is a 403 on any API
 * request, even a GET of public data, with DRF's wording; an unknown
 * scheme is ignored.  Nothing here costs a query when the request has
 * neither a cookie nor an Authorization header.
 *
 * HTTP Basic runs PBKDF2 on every request of a bot configured with a
 * password, which is 0.1 s or more at today's iteration counts.  So each
 * worker keeps a few recent successes: the key is an HMAC, under a
 * random per-worker key, of the username, the password and the stored
 * hash string.  The user row is still read on every request, so a
 * password change (the stored string changes) or a deactivation takes
 * effect at once, and the cache holds nothing an attacker could test
 * passwords against offline.  Failures are never cached.
 *
 * A successful Basic login with a hash older or weaker than what we make
 * now stores a fresh one (auth.h, auth_needs_rehash()), as Django does
 * at login.  Django's salted md5 hashes (its development settings) are
 * accepted only when http.allow_md5_passwords says so, and are then
 * re-hashed like any other old form.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "arena.h"
#include "auth.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "session.h"
#include "pwfcgi.h"

#define BASIC_CACHE_SLOTS	16
#define BASIC_CACHE_TTL		60	/* seconds */

enum {
	ST_AUTH_BY_USERNAME,
	ST_AUTH_BY_TOKEN,
	ST_AUTH_REHASH,
	ST_AUTH_MAINT,
	ST_AUTH__MAX
};

#define USER_COLS "u.id, u.username, u.email, u.first_name, u.last_name," \
	" u.is_admin, u.is_active"

static const struct stmt_def stmts[ST_AUTH__MAX] = {
	[ST_AUTH_BY_USERNAME] = { "auth_by_username",
	    "SELECT " USER_COLS ", u.password FROM auth_user u"
	    " WHERE u.username = $1", 1 },
	[ST_AUTH_BY_TOKEN] = { "auth_by_token",
	    "SELECT " USER_COLS " FROM auth_token t"
	    " JOIN auth_user u ON u.id = t.user_id WHERE t.key = $1", 1 },
	/* Only if nobody changed it meanwhile: then no row. */
	[ST_AUTH_REHASH] = { "auth_rehash",
	    "UPDATE auth_user SET password = $2"
	    " WHERE id = $1 AND password = $3 RETURNING id", 3 },
	[ST_AUTH_MAINT] = { "auth_maint",
	    "SELECT project_id FROM project_maintainer WHERE user_id = $1"
	    " ORDER BY project_id", 1 },
};

struct basic_slot {
	unsigned char	 mac[32];
	time_t		 at;		/* 0: empty */
};

static struct basic_slot basic_cache[BASIC_CACHE_SLOTS];
static unsigned char basic_key[32];
static int basic_key_set;

static struct user *
user_from_row(struct req *r, struct dbres *res, enum auth_via via)
{
	struct user *u = ARENA_NEW(r->arena, struct user, 1);

	u->id = dbres_i64(res, 0, 0);
	u->username = dbres_str(res, 0, 1);
	u->email = dbres_str(res, 0, 2);
	u->first_name = dbres_str(res, 0, 3);
	u->last_name = dbres_str(res, 0, 4);
	u->is_admin = dbres_bool(res, 0, 5);
	u->via = via;
	u->nmaint = -1;
	return u;
}

static int
fail(struct req *r, const char *detail)
{
	r->auth_status = resp_error(r, 403, detail);
	r->user = NULL;
	return r->auth_status;
}

static int
unsafe(const struct req *r)
{
	return r->method == HTTP_POST || r->method == HTTP_PUT ||
	    r->method == HTTP_PATCH || r->method == HTTP_DELETE;
}

/* Valid UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned c;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += len;
	}
	return 1;
}

/* Split at ASCII whitespace, as Python's bytes.split(): up to max words. */
static int
words(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		while (*s != '\0' && strchr(" \t\n\r\v\f", *s) != NULL)
			*s++ = '\0';
		if (*s == '\0')
			return n;
		if (n < max)
			w[n] = s;
		n++;
		while (*s != '\0' && strchr(" \t\n\r\v\f", *s) == NULL)
			s++;
	}
}

/* CSRF for a session-authenticated unsafe request (Django's middleware). */

static const char *
form_field(struct req *r, const char *name)
{
	const char *ct = r->content_type;
	char *copy, *p, *e, *eq;
	size_t n = strlen(name);

	if (r->body == NULL || ct == NULL || strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) != 0)
		return NULL;
	copy = arena_strndup(r->arena, r->body, r->body_len);
	for (p = copy; p != NULL; p = e) {
		if ((e = strchr(p, '&')) != NULL)
			*e++ = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq++ = '\0';
		url_decode(p, 1);
		if (strlen(p) == n && memcmp(p, name, n) == 0) {
			url_decode(eq, 1);
			return eq;
		}
	}
	return NULL;
}

/* "scheme://host[:port]" of an Origin or Referer, in the arena. */
static const char *
origin_of(struct req *r, const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return url;
	p += 3;
	while (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		p++;
	return arena_strndup(r->arena, url, (size_t)(p - url));
}

static int
csrf_check(struct req *r, const char *expected)
{
	const char *origin, *referer, *base, *tok;

	base = req_base_url(r);
	if ((origin = req_env(r, "HTTP_ORIGIN")) != NULL) {
		if (strcasecmp(origin, base) != 0)
			return fail(r, arena_printf(r->arena, "CSRF Failed: "
			    "Origin checking failed - %s does not match any "
			    "trusted origins.", origin));
	} else if (strncmp(base, "https:", 6) == 0) {
		referer = req_env(r, "HTTP_REFERER");
		if (referer == NULL || *referer == '\0')
			return fail(r, "CSRF Failed: Referer checking failed - "
			    "no Referer.");
		if (strcasecmp(origin_of(r, referer), base) != 0)
			return fail(r, arena_printf(r->arena, "CSRF Failed: "
			    "Referer checking failed - %s does not match any "
			    "trusted origins.", referer));
	}
	tok = req_env(r, "HTTP_X_CSRFTOKEN");
	if (tok == NULL && r->method == HTTP_POST)
		tok = form_field(r, "csrfmiddlewaretoken");
	if (tok == NULL || *tok == '\0')
		return fail(r, "CSRF Failed: CSRF token missing.");
	if (!session_token_equal(tok, expected))
		return fail(r, "CSRF Failed: CSRF token incorrect.");
	return 0;
}

/* 1: the session authenticated the request; 0: it did not; or status. */
static int
try_session(struct req *r, const char *cookie)
{
	struct session s;
	struct user *u;
	int rc;

	if ((rc = session_lookup(r->db, cookie, &s)) == -1) {
		r->auth_status = resp_error(r, 503, NULL);
		return -1;
	}
	if (rc == 0 || s.user_id == 0)
		return 0;
	u = ARENA_NEW(r->arena, struct user, 1);
	u->id = s.user_id;
	u->username = s.username;
	u->email = s.email;
	u->first_name = s.first_name;
	u->last_name = s.last_name;
	u->is_admin = s.is_admin;
	u->via = AUTH_VIA_SESSION;
	u->nmaint = -1;
	r->user = u;
	if (unsafe(r) && csrf_check(r, s.csrf_token) != 0)
		return -1;
	return 1;
}

/* The Basic cache ---------------------------------------------------- */

static void
basic_mac(const char *user, const char *pass, const char *stored,
    unsigned char *out)
{
	struct buf b = BUF_INIT;
	unsigned int n;

	if (!basic_key_set) {
		if (RAND_bytes(basic_key, sizeof(basic_key)) != 1) {
			/* No cache without a key: every lookup misses. */
			memset(out, 0, 32);
			return;
		}
		basic_key_set = 1;
	}
	buf_add(&b, user, strlen(user) + 1);
	buf_add(&b, pass, strlen(pass) + 1);
	buf_adds(&b, stored);
	HMAC(EVP_sha256(), basic_key, sizeof(basic_key),
	    (const unsigned char *)b.s, b.len, out, &n);
	OPENSSL_cleanse(b.s, b.len);
	buf_release(&b);
}

static int
basic_cached(const unsigned char *mac)
{
	time_t now = time(NULL);
	size_t i;

	if (!basic_key_set)
		return 0;
	for (i = 0; i < BASIC_CACHE_SLOTS; i++)
		if (basic_cache[i].at != 0 &&
		    now - basic_cache[i].at < BASIC_CACHE_TTL &&
		    now >= basic_cache[i].at &&
		    CRYPTO_memcmp(basic_cache[i].mac, mac, 32) == 0)
			return 1;
	return 0;
}

static void
basic_remember(const unsigned char *mac)
{
	size_t i, oldest = 0;

	if (!basic_key_set)
		return;
	for (i = 0; i < BASIC_CACHE_SLOTS; i++) {
		if (basic_cache[i].at == 0) {
			oldest = i;
			break;
		}
		if (basic_cache[i].at < basic_cache[oldest].at)
			oldest = i;
	}
	memcpy(basic_cache[oldest].mac, mac, 32);
	basic_cache[oldest].at = time(NULL);
}

/* Base64 as Python's b64decode: junk characters skipped, padding checked. */
static char *
b64_decode(struct req *r, const char *in, size_t *outlen)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), i, k = 0, pad = 0, o = 0;
	char *clean = arena_alloc(r->arena, n + 1), *out;
	const char *p;
	unsigned v = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if ((p = strchr(alpha, in[i])) == NULL || in[i] == '\0')
			continue;
		if (pad > 0)		/* data after padding */
			return NULL;
		clean[k++] = (char)(p - alpha);
	}
	if (k % 4 == 1 || (k + pad) % 4 != 0 || pad > 2)
		return NULL;
	out = arena_alloc(r->arena, k * 3 / 4 + 1);
	for (i = 0; i < k; i++) {
		v = v << 6 | (unsigned)clean[i];
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Latin-1 bytes to UTF-8, as DRF falls back to when UTF-8 fails. */
static char *
latin1_to_utf8(struct req *r, const char *s, size_t n)
{
	char *out = arena_alloc(r->arena, 2 * n + 1), *w = out;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80)
			*w++ = (char)c;
		else {
			*w++ = (char)(0xc0 | c >> 6);
			*w++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*w = '\0';
	return out;
}

static int
try_basic(struct req *r, char **w, int nw)
{
	unsigned char mac[32];
	struct dbres *res, *up;
	const char *stored;
	char *dec, *pass, *fresh;
	size_t len;
	unsigned flags = 0;
	int rehash = 0;

	if (r->conf != NULL && r->conf->http.allow_md5_passwords)
		flags |= AUTH_ALLOW_MD5;
	if (nw == 1)
		return fail(r, "Invalid basic header. No credentials "
		    "provided.");
	if (nw > 2)
		return fail(r, "Invalid basic header. Credentials string "
		    "should not contain spaces.");
	if ((dec = b64_decode(r, w[1], &len)) == NULL ||
	    memchr(dec, ':', len) == NULL)
		return fail(r, "Invalid basic header. Credentials not "
		    "correctly base64 encoded.");
	/* A NUL would cut the name short in the query: no such user. */
	if (memchr(dec, '\0', len) != NULL) {
		auth_password_check("", "", 0, NULL);
		return fail(r, "Invalid username/password.");
	}
	if (!utf8_valid((unsigned char *)dec, len))
		dec = latin1_to_utf8(r, dec, len);
	pass = strchr(dec, ':');
	*pass++ = '\0';

	res = db_run(r->db, &stmts[ST_AUTH_BY_USERNAME], DB_STR(dec));
	if (res == NULL) {
		r->auth_status = resp_error(r, 503, NULL);
		return r->auth_status;
	}
	if (dbres_rows(res) == 0 || !dbres_bool(res, 0, 6)) {
		/* Same cost as a real check: no account enumeration. */
		auth_password_check(pass, "", 0, NULL);
		OPENSSL_cleanse(pass, strlen(pass));
		return fail(r, "Invalid username/password.");
	}
	stored = dbres_str(res, 0, 7);
	basic_mac(dec, pass, stored, mac);
	if (!basic_cached(mac)) {
		if (auth_password_check(pass, stored, flags, &rehash) == -1) {
			OPENSSL_cleanse(pass, strlen(pass));
			return fail(r, "Invalid username/password.");
		}
		/*
		 * A failed UPDATE (a read-only role) costs the upgrade, not
		 * the login; the next login tries again.
		 */
		if (rehash && (fresh = auth_password_make(pass)) != NULL) {
			up = db_run(r->db, &stmts[ST_AUTH_REHASH],
			    DB_I64(dbres_i64(res, 0, 0)), DB_STR(fresh),
			    DB_STR(stored));
			if (up != NULL && dbres_rows(up) == 1) {
				log_info("user %s: password hash upgraded",
				    dec);
				basic_mac(dec, pass, fresh, mac);
			}
			dbres_free(up);
			OPENSSL_cleanse(fresh, strlen(fresh));
			free(fresh);
		}
		basic_remember(mac);
	}
	OPENSSL_cleanse(pass, strlen(pass));
	r->user = user_from_row(r, res, AUTH_VIA_BASIC);
	return 0;
}

static int
try_token(struct req *r, char **w, int nw)
{
	struct dbres *res;

	if (nw == 1)
		return fail(r, "Invalid token header. No credentials "
		    "provided.");
	if (nw > 2)
		return fail(r, "Invalid token header. Token string should "
		    "not contain spaces.");
	if (!utf8_valid((unsigned char *)w[1], strlen(w[1])))
		return fail(r, "Invalid token header. Token string should "
		    "not contain invalid characters.");
	/* Only a token's shape can be in the table. */
	if (!auth_token_valid(w[1]))
		return fail(r, "Invalid token.");
	res = db_run(r->db, &stmts[ST_AUTH_BY_TOKEN], DB_STR(w[1]));
	if (res == NULL) {
		r->auth_status = resp_error(r, 503, NULL);
		return r->auth_status;
	}
	if (dbres_rows(res) == 0)
		return fail(r, "Invalid token.");
	if (!dbres_bool(res, 0, 6))
		return fail(r, "User inactive or deleted.");
	r->user = user_from_row(r, res, AUTH_VIA_TOKEN);
	return 0;
}

/*
 * The request's user, once.  0 (r->user set or NULL), or the error
 * status with its body written.
 */
int
auth_request(struct req *r)
{
	const char *cookie, *hdr;
	char *copy, *w[3];
	int nw, rc;

	if (r->auth_done)
		return r->auth_status;
	r->auth_done = 1;
	r->auth_status = 0;
	r->user = NULL;
	cookie = req_cookie(r, SESSION_COOKIE);
	hdr = req_env(r, "HTTP_AUTHORIZATION");
	if ((cookie == NULL || *cookie == '\0') &&
	    (hdr == NULL || *hdr == '\0'))
		return 0;
	if (db_ready(r) == -1)
		return r->auth_status = resp_error(r, 503, NULL);

	if (cookie != NULL && *cookie != '\0') {
		rc = try_session(r, cookie);
		if (rc != 0)
			return r->auth_status;
	}
	if (hdr == NULL)
		return 0;
	copy = arena_strdup(r->arena, hdr);
	if ((nw = words(copy, w, 3)) == 0)
		return 0;
	if (strcasecmp(w[0], "basic") == 0)
		return try_basic(r, w, nw);
	if (strcasecmp(w[0], "token") == 0 || strcasecmp(w[0], "bearer") == 0)
		return try_token(r, w, nw);
	return 0;	/* a scheme we do not know: anonymous */
}

/*
 * For downloads: credentials that do not check out make the request
 * anonymous instead of failing it.  0, or 503 (decided) when the
 * database is away.
 */
int
auth_optional(struct req *r)
{
	int st = auth_request(r);

	if (st == 503)
		return st;
	if (st != 0) {
		/* Forget the error body; carry on as anonymous. */
		buf_reset(&r->out);
		buf_reset(&r->hdr);
		r->error_body = 0;
		r->ctype = NULL;
		r->status = 0;
		r->user = NULL;
		r->auth_status = 0;
	}
	return 0;
}

int
auth_maintains(struct req *r, int64_t project_id)
{
	struct user *u = r->user;
	struct dbres *res;
	int i, n;

	if (u == NULL)
		return 0;
	if (u->nmaint < 0) {
		res = db_run(r->db, &stmts[ST_AUTH_MAINT], DB_I64(u->id));
		if (res == NULL)
			return -1;
		n = dbres_rows(res);
		u->maint = ARENA_NEW(r->arena, int64_t, n > 0 ? n : 1);
		for (i = 0; i < n; i++)
			u->maint[i] = dbres_i64(res, i, 0);
		u->nmaint = n;
	}
	for (i = 0; i < u->nmaint; i++)
		if (u->maint[i] == project_id)
			return 1;
	return 0;
}

int
auth_deny(struct req *r)
{
	return resp_error(r, 403, r->user == NULL ?
	    "Authentication credentials were not provided." :
	    "You do not have permission to perform this action.");
}
