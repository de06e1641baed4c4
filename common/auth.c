/*
 * Django-compatible password hashes and DRF-compatible API tokens.
 *
 * Verification follows Django: parse the stored string, re-encode the
 * candidate password with the stored parameters, and compare the whole
 * encoded strings in constant time.  So a stored value that Django would
 * not have produced byte for byte (leading zeros in the iteration count,
 * upper-case hex) does not match here either.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SHA256_Init() and friends: deprecated in 3.0, and what we want. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth.h"
#include "log.h"
#include "xalloc.h"

#define PBKDF2_MAXKEY	32	/* SHA-256 */

static const char salt_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static const char *const kind_names[AUTH_KIND__MAX] = {
	[AUTH_KIND_UNUSABLE] = "unusable",
	[AUTH_KIND_PBKDF2_SHA256] = "pbkdf2_sha256",
	[AUTH_KIND_PBKDF2_SHA1] = "pbkdf2_sha1",
	[AUTH_KIND_MD5] = "md5",
	[AUTH_KIND_SHA1] = "sha1",
	[AUTH_KIND_UNSALTED_MD5] = "unsalted_md5",
	[AUTH_KIND_UNKNOWN] = "unknown",
};

/* n characters of [A-Za-z0-9], uniformly (bytes >= 248 are redrawn). */
static int
random_chars(char *out, size_t n)
{
	unsigned char r[64];
	size_t i = 0, j;

	while (i < n) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return errorx("RAND_bytes failed");
		for (j = 0; j < sizeof(r) && i < n; j++)
			if (r[j] < 248)
				out[i++] = salt_chars[r[j] % 62];
	}
	out[n] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
		    || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Equal strings, in time independent of where they differ. */
static int
equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

enum auth_kind
auth_kind(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '!')
		return AUTH_KIND_UNUSABLE;
	if (strlen(s) == 32 && is_hex(s, 32))
		return AUTH_KIND_UNSALTED_MD5;
	if (has_prefix(s, "md5$$"))
		return AUTH_KIND_UNSALTED_MD5;
	if (has_prefix(s, "md5$"))
		return AUTH_KIND_MD5;
	if (has_prefix(s, "sha1$"))
		return AUTH_KIND_SHA1;
	if (has_prefix(s, "pbkdf2_sha256$"))
		return AUTH_KIND_PBKDF2_SHA256;
	if (has_prefix(s, "pbkdf2_sha1$"))
		return AUTH_KIND_PBKDF2_SHA1;
	return AUTH_KIND_UNKNOWN;
}

const char *
auth_kind_name(enum auth_kind k)
{
	if ((int)k < 0 || k >= AUTH_KIND__MAX)
		return "unknown";
	return kind_names[k];
}

/*
 * Split "alg$iter$salt$hash" (exactly four fields).  Pointers go into a
 * copy the caller frees; the iteration count is range-checked.
 */
struct pbkdf2_fields {
	char		*copy;
	const char	*alg, *salt, *hash;
	unsigned long	 iter;
};

static int
pbkdf2_split(const char *stored, struct pbkdf2_fields *f)
{
	char *p, *q, *end;

	memset(f, 0, sizeof(*f));
	f->copy = xstrdup(stored);
	f->alg = p = f->copy;
	if ((q = strchr(p, '$')) == NULL)
		return -1;
	*q++ = '\0';
	p = q;
	if ((q = strchr(p, '$')) == NULL)
		return -1;
	*q++ = '\0';
	if (*p < '1' || *p > '9' || strlen(p) > 9)
		return -1;
	f->iter = strtoul(p, &end, 10);
	if (*end != '\0' || f->iter > AUTH_PBKDF2_MAX_ITERATIONS)
		return -1;
	f->salt = p = q;
	if ((q = strchr(p, '$')) == NULL)
		return -1;
	*q++ = '\0';
	f->hash = q;
	if (strchr(q, '$') != NULL)
		return -1;
	return 0;
}

/*
 * PBKDF2-HMAC over OpenSSL's SHA primitives with the HMAC pads hashed
 * once: each iteration then costs two compression calls on stack
 * contexts.  OpenSSL's PKCS5_PBKDF2_HMAC re-initialises a provider HMAC
 * context per iteration, which makes it about 2.5 times slower (and
 * slower still under AddressSanitizer, where its allocations are
 * checked).  The unit tests compare the two.
 */
union hctx {
	SHA256_CTX	sha256;
	SHA_CTX		sha1;
};

struct hmac_alg {
	const char	*name;
	size_t		 dlen;		/* digest and derived key length */
	void		(*init)(union hctx *);
	void		(*update)(union hctx *, const void *, size_t);
	void		(*final)(unsigned char *, union hctx *);
};

static void h256_init(union hctx *c) { SHA256_Init(&c->sha256); }
static void h256_update(union hctx *c, const void *p, size_t n)
	{ SHA256_Update(&c->sha256, p, n); }
static void h256_final(unsigned char *d, union hctx *c)
	{ SHA256_Final(d, &c->sha256); }
static void h1_init(union hctx *c) { SHA1_Init(&c->sha1); }
static void h1_update(union hctx *c, const void *p, size_t n)
	{ SHA1_Update(&c->sha1, p, n); }
static void h1_final(unsigned char *d, union hctx *c)
	{ SHA1_Final(d, &c->sha1); }

static const struct hmac_alg hmac_algs[] = {
	{ "pbkdf2_sha256", 32, h256_init, h256_update, h256_final },
	{ "pbkdf2_sha1", 20, h1_init, h1_update, h1_final },
};

#define HMAC_BLOCK	64	/* both SHA-1 and SHA-256 */

/* One block of PBKDF2 (dkLen = hLen, so block index 1 only). */
static void
pbkdf2(const struct hmac_alg *a, const char *pw, size_t pwlen,
    const char *salt, size_t saltlen, unsigned long iter, unsigned char *out)
{
	unsigned char k[HMAC_BLOCK], pad[HMAC_BLOCK], u[PBKDF2_MAXKEY];
	union hctx inner, outer, c;
	unsigned long j;
	size_t i;

	memset(k, 0, sizeof(k));
	if (pwlen > HMAC_BLOCK) {
		a->init(&c);
		a->update(&c, pw, pwlen);
		a->final(k, &c);
	} else
		memcpy(k, pw, pwlen);
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	a->init(&inner);
	a->update(&inner, pad, HMAC_BLOCK);
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	a->init(&outer);
	a->update(&outer, pad, HMAC_BLOCK);

	c = inner;
	a->update(&c, salt, saltlen);
	a->update(&c, "\0\0\0\1", 4);
	a->final(u, &c);
	c = outer;
	a->update(&c, u, a->dlen);
	a->final(u, &c);
	memcpy(out, u, a->dlen);
	for (j = 1; j < iter; j++) {
		c = inner;
		a->update(&c, u, a->dlen);
		a->final(u, &c);
		c = outer;
		a->update(&c, u, a->dlen);
		a->final(u, &c);
		for (i = 0; i < a->dlen; i++)
			out[i] ^= u[i];
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(u, sizeof(u));
	OPENSSL_cleanse(&inner, sizeof(inner));
	OPENSSL_cleanse(&outer, sizeof(outer));
	OPENSSL_cleanse(&c, sizeof(c));
}

char *
auth_pbkdf2_encode(const char *alg, const char *password, const char *salt,
    unsigned long iter)
{
	unsigned char key[PBKDF2_MAXKEY];
	char b64[4 * ((PBKDF2_MAXKEY + 2) / 3) + 1];
	const struct hmac_alg *a = NULL;
	size_t i;

	for (i = 0; i < sizeof(hmac_algs) / sizeof(hmac_algs[0]); i++)
		if (strcmp(alg, hmac_algs[i].name) == 0)
			a = &hmac_algs[i];
	if (a == NULL || iter < 1 || iter > AUTH_PBKDF2_MAX_ITERATIONS ||
	    strchr(salt, '$') != NULL)
		return NULL;
	pbkdf2(a, password, strlen(password), salt, strlen(salt), iter, key);
	EVP_EncodeBlock((unsigned char *)b64, key, (int)a->dlen);
	OPENSSL_cleanse(key, sizeof(key));
	return xasprintf("%s$%lu$%s$%s", a->name, iter, salt, b64);
}

/* PBKDF2 at our parameters on a throwaway salt: equalises timing. */
static void
dummy_work(const char *password)
{
	char *s;

	s = auth_pbkdf2_encode("pbkdf2_sha256", password,
	    "equalisetimingsaltxxxx", AUTH_PBKDF2_ITERATIONS);
	free(s);
}

static int
check_pbkdf2(const char *password, const char *stored, unsigned flags)
{
	struct pbkdf2_fields f;
	char *enc = NULL;
	int rc = -1;

	if (pbkdf2_split(stored, &f) == -1) {
		if (!(flags & AUTH_NO_DUMMY))
			dummy_work(password);
		goto out;
	}
	enc = auth_pbkdf2_encode(f.alg, password, f.salt, f.iter);
	if (enc != NULL && equal(enc, stored))
		rc = 0;
out:
	if (enc != NULL)
		OPENSSL_cleanse(enc, strlen(enc));
	free(enc);
	free(f.copy);
	return rc;
}

/* Lowercase hex of md(salt + password) into hex (2 * size + 1). */
static int
digest_hex(const EVP_MD *md, const char *salt, const char *password,
    char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n, i;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, salt, strlen(salt)) == 1 &&
	    EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, d, &n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
	return 0;
}

/* "alg$salt$hex" with hex = alg(salt + password): Django < 1.4 and dev. */
static int
check_salted(const char *password, const char *stored, const char *alg,
    const EVP_MD *md)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *salt, *end;
	char *s, *enc;
	int rc;

	salt = stored + strlen(alg) + 1;
	if ((end = strchr(salt, '$')) == NULL)
		return -1;
	s = xstrndup(salt, (size_t)(end - salt));
	rc = digest_hex(md, s, password, hex);
	if (rc == 0) {
		enc = xasprintf("%s$%s$%s", alg, s, hex);
		rc = equal(enc, stored) ? 0 : -1;
		free(enc);
	}
	free(s);
	return rc;
}

static int
check_bare_md5(const char *password, const char *stored)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (digest_hex(EVP_md5(), "", password, hex) == -1)
		return -1;
	return equal(hex, stored) ? 0 : -1;
}

int
auth_password_check(const char *password, const char *stored,
    unsigned flags, int *rehash)
{
	int rc = -1, worked = 0;

	if (rehash != NULL)
		*rehash = 0;
	if (password == NULL)
		return -1;
	switch (auth_kind(stored)) {
	case AUTH_KIND_PBKDF2_SHA256:
	case AUTH_KIND_PBKDF2_SHA1:
		rc = check_pbkdf2(password, stored, flags);
		worked = 1;
		break;
	case AUTH_KIND_MD5:
		if (flags & AUTH_ALLOW_MD5)
			rc = check_salted(password, stored, "md5", EVP_md5());
		break;
	case AUTH_KIND_SHA1:
		if (flags & AUTH_ALLOW_ANCIENT)
			rc = check_salted(password, stored, "sha1", EVP_sha1());
		break;
	case AUTH_KIND_UNSALTED_MD5:
		if (!(flags & AUTH_ALLOW_ANCIENT))
			break;
		if (has_prefix(stored, "md5$$"))
			rc = check_salted(password, stored, "md5", EVP_md5());
		else
			rc = check_bare_md5(password, stored);
		break;
	case AUTH_KIND_UNUSABLE:
	case AUTH_KIND_UNKNOWN:
	case AUTH_KIND__MAX:
		break;
	}
	if (!worked && !(flags & AUTH_NO_DUMMY))
		dummy_work(password);
	if (rc == 0 && rehash != NULL)
		*rehash = auth_needs_rehash(stored);
	return rc;
}

int
auth_needs_rehash(const char *stored)
{
	struct pbkdf2_fields f;
	int rc = 1;

	if (auth_kind(stored) != AUTH_KIND_PBKDF2_SHA256)
		return 1;
	if (pbkdf2_split(stored, &f) == 0 &&
	    f.iter >= AUTH_PBKDF2_ITERATIONS &&
	    strlen(f.salt) >= AUTH_SALT_LEN)
		rc = 0;
	free(f.copy);
	return rc;
}

char *
auth_password_make(const char *password)
{
	char salt[AUTH_SALT_LEN + 1];

	if (random_chars(salt, AUTH_SALT_LEN) == -1)
		return NULL;
	return auth_pbkdf2_encode("pbkdf2_sha256", password, salt,
	    AUTH_PBKDF2_ITERATIONS);
}

char *
auth_unusable_make(void)
{
	char *s = xmalloc(AUTH_UNUSABLE_SUFFIX_LEN + 2);

	s[0] = '!';
	if (random_chars(s + 1, AUTH_UNUSABLE_SUFFIX_LEN) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

int
auth_token_make(char *out)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char r[AUTH_TOKEN_LEN / 2];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return errorx("RAND_bytes failed");
	for (i = 0; i < sizeof(r); i++) {
		out[2 * i] = digits[r[i] >> 4];
		out[2 * i + 1] = digits[r[i] & 15];
	}
	out[AUTH_TOKEN_LEN] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int
auth_token_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != AUTH_TOKEN_LEN)
		return 0;
	for (i = 0; i < AUTH_TOKEN_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
