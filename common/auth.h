#ifndef PW_AUTH_H
#define PW_AUTH_H
/*
 * Passwords and API tokens, compatible with Django's auth_user.password
 * and DRF's authtoken_token (spec: schema-and-migration.md section 3).
 *
 * Stored password strings, by family:
 *  pbkdf2_sha256$ITER$SALT$B64   the default; any iteration count (up to
 *                                AUTH_PBKDF2_MAX_ITERATIONS) and salt
 *  pbkdf2_sha1$ITER$SALT$B64     same with SHA-1 and a 20-byte key
 *  md5$SALT$HEX                  md5(salt + password); Django's dev
 *                                settings: only with AUTH_ALLOW_MD5
 *  sha1$SALT$HEX, sha1$$HEX,     Django before 1.4 (Django 3.x refused
 *  md5$$HEX, bare 32 hex (md5)   them): only with AUTH_ALLOW_ANCIENT
 *  !..., empty                   unusable: never match
 * Anything else (argon2, bcrypt, scrypt) is counted as unknown and never
 * matches.
 *
 * A password is the bytes the user typed: no normalisation, no trimming.
 * Comparison is of the whole re-encoded string, in constant time.  A
 * string that cannot match still costs one PBKDF2 at our parameters, so
 * timing does not tell usable accounts from unusable ones.
 *
 * New hashes are pbkdf2_sha256 with AUTH_PBKDF2_ITERATIONS and a salt of
 * 22 characters from [A-Za-z0-9] (128 bits, as Django >= 3.2 makes them).
 * 1,000,000 iterations is what Django 5.2 (the current LTS) writes, above
 * Django 4.2's 600,000 and OWASP's 2023 floor of 600,000, and above the
 * Go rewrite's 870,000 so its users are upgraded rather than downgraded.
 * Our PBKDF2 loop (auth.c) does it in about 0.12 s on a small server,
 * less than OpenSSL's PKCS5_PBKDF2_HMAC needs for 600,000: fine for a
 * login form and, with the REST API's short cache of successful Basic
 * checks, for API clients.
 *
 * Every function here is pure computation on its arguments; the only
 * failure is the random generator's (RAND_bytes), reported with -1/NULL
 * after logging.
 */
#include <stddef.h>

#define AUTH_PBKDF2_ITERATIONS		1000000
#define AUTH_PBKDF2_MAX_ITERATIONS	10000000	/* tampered rows */
#define AUTH_SALT_LEN			22
#define AUTH_TOKEN_LEN			40	/* lowercase hex, 20 bytes */
#define AUTH_UNUSABLE_SUFFIX_LEN	40	/* "!" + this many chars */

enum auth_flags {
	AUTH_ALLOW_MD5		= 1 << 0,	/* md5$salt$hex */
	AUTH_ALLOW_ANCIENT	= 1 << 1,	/* sha1$, md5$$, bare md5 */
	AUTH_NO_DUMMY		= 1 << 2,	/* skip the equalising PBKDF2 */
};

enum auth_kind {
	AUTH_KIND_UNUSABLE,	/* "!...", empty, NULL */
	AUTH_KIND_PBKDF2_SHA256,
	AUTH_KIND_PBKDF2_SHA1,
	AUTH_KIND_MD5,		/* md5$salt$hex */
	AUTH_KIND_SHA1,		/* sha1$salt$hex, sha1$$hex */
	AUTH_KIND_UNSALTED_MD5,	/* bare 32 hex, md5$$hex */
	AUTH_KIND_UNKNOWN,	/* argon2, bcrypt, scrypt, garbage */
	AUTH_KIND__MAX
};

/* Which family a stored string belongs to, by its shape only. */
enum auth_kind	 auth_kind(const char *stored);
/* "pbkdf2_sha256", "unusable", ...: for reports. */
const char	*auth_kind_name(enum auth_kind);

/*
 * Check password against stored.  Returns 0 when it matches and -1 when
 * it does not (wrong password, unusable or unknown hash, a legacy form
 * not allowed by flags, malformed field).  Nothing is logged.  On a
 * match, *rehash (when not NULL) is set to 1 if the caller should store
 * auth_password_make(password) instead (see auth_needs_rehash()), else 0.
 */
int	 auth_password_check(const char *password, const char *stored,
	    unsigned flags, int *rehash);

/*
 * 1 when stored is weaker or older than what we make now: any family but
 * pbkdf2_sha256, fewer than AUTH_PBKDF2_ITERATIONS iterations, or a salt
 * shorter than AUTH_SALT_LEN characters.  A higher iteration count (the
 * Go rewrite uses 870,000) is kept: re-hashing must never weaken.
 */
int	 auth_needs_rehash(const char *stored);

/*
 * A new pbkdf2_sha256 string for password, with a fresh random salt.
 * Returns a malloc()ed string, or NULL if the random generator failed.
 */
char	*auth_password_make(const char *password);

/*
 * Encode with explicit parameters (tests, tools).  alg is
 * "pbkdf2_sha256" or "pbkdf2_sha1"; salt must not contain '$'.
 * Returns a malloc()ed string, or NULL for a bad argument.
 */
char	*auth_pbkdf2_encode(const char *alg, const char *password,
	    const char *salt, unsigned long iterations);

/* "!" followed by 40 random [A-Za-z0-9]: malloc()ed, NULL on failure. */
char	*auth_unusable_make(void);

/*
 * A new API token: AUTH_TOKEN_LEN lowercase hex digits and a NUL into
 * out, which must hold AUTH_TOKEN_LEN + 1 bytes.  0, or -1 if the random
 * generator failed.
 */
int	 auth_token_make(char *out);

/* 1 if s has the shape of a token (40 lowercase hex), else 0. */
int	 auth_token_valid(const char *s);

#endif
