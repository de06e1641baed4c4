/*
 * Browser sessions; the contract is in session.h.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "db.h"
#include "log.h"
#include "session.h"

enum {
	ST_SESSION_NEW,
	ST_SESSION_GET,
	ST_SESSION_DEL,
	ST_SESSION_DEL_USER,
	ST_SESSION__MAX
};

static const struct stmt_def stmts[ST_SESSION__MAX] = {
	[ST_SESSION_NEW] = { "session_new",
	    "INSERT INTO session (key, user_id, csrf_token, expires)"
	    " VALUES ($1, $2, $3, now() + make_interval(secs => $4))", 4 },
	/* An inactive user's session is anonymous, as in Django. */
	[ST_SESSION_GET] = { "session_get",
	    "SELECT CASE WHEN u.is_active THEN s.user_id END, s.csrf_token,"
	    " u.username, u.email, u.first_name, u.last_name, u.is_admin"
	    " FROM session s LEFT JOIN auth_user u ON u.id = s.user_id"
	    " WHERE s.key = $1 AND s.expires > now()", 1 },
	[ST_SESSION_DEL] = { "session_del",
	    "DELETE FROM session WHERE key = $1", 1 },
	[ST_SESSION_DEL_USER] = { "session_del_user",
	    "DELETE FROM session WHERE user_id = $1", 1 },
};

static const char hexdigits[] = "0123456789abcdef";

static void
hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
session_token_make(char *out)
{
	unsigned char r[SESSION_TOKEN_LEN / 2];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return errorx("RAND_bytes failed");
	hex(r, sizeof(r), out);
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

void
session_key(const char *cookie, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(cookie, strlen(cookie), d, &n, EVP_sha256(), NULL);
	hex(d, n, out);
}

int
session_token_equal(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL)
		return 0;
	n = strlen(a);
	return n > 0 && n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* A cookie we could have issued: 64 lowercase hex digits. */
static int
cookie_shape(const char *c)
{
	size_t i;

	for (i = 0; c[i] != '\0'; i++)
		if (strchr(hexdigits, c[i]) == NULL)
			return 0;
	return i == SESSION_TOKEN_LEN;
}

int
session_create(struct db *db, int64_t user_id, int ttl, char *cookie,
    char *csrf)
{
	char key[SESSION_TOKEN_LEN + 1];

	if (session_token_make(cookie) == -1 || session_token_make(csrf) == -1)
		return -1;
	session_key(cookie, key);
	return db_run_do(db, &stmts[ST_SESSION_NEW], DB_STR(key),
	    DB_ID(user_id), DB_STR(csrf), DB_I64(ttl));
}

int
session_lookup(struct db *db, const char *cookie, struct session *s)
{
	char key[SESSION_TOKEN_LEN + 1];
	struct dbres *r;

	memset(s, 0, sizeof(*s));
	if (cookie == NULL || !cookie_shape(cookie))
		return 0;
	session_key(cookie, key);
	if ((r = db_run(db, &stmts[ST_SESSION_GET], DB_STR(key))) == NULL)
		return -1;
	if (dbres_rows(r) == 0)
		return 0;
	s->user_id = dbres_i64(r, 0, 0);
	s->csrf_token = dbres_str(r, 0, 1);
	if (s->user_id != 0) {
		s->username = dbres_str(r, 0, 2);
		s->email = dbres_str(r, 0, 3);
		s->first_name = dbres_str(r, 0, 4);
		s->last_name = dbres_str(r, 0, 5);
		s->is_admin = dbres_bool(r, 0, 6);
	}
	return 1;
}

int
session_destroy(struct db *db, const char *cookie)
{
	char key[SESSION_TOKEN_LEN + 1];

	if (cookie == NULL || !cookie_shape(cookie))
		return 0;
	session_key(cookie, key);
	return db_run_do(db, &stmts[ST_SESSION_DEL], DB_STR(key));
}

int
session_destroy_user(struct db *db, int64_t user_id)
{
	return db_run_do(db, &stmts[ST_SESSION_DEL_USER], DB_I64(user_id));
}
