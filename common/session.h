#ifndef PW_SESSION_H
#define PW_SESSION_H
/*
 * Browser sessions and their CSRF tokens, shared by the web login (which
 * creates sessions) and every request handler (which looks them up).
 *
 * The cookie value is 32 random bytes in lowercase hex; the table stores
 * only its SHA-256 (hex), so a dump of the session table holds no live
 * cookie.  Each session row carries its own CSRF token (32 random bytes,
 * hex), which forms repeat in a hidden field and scripts send as
 * X-CSRFToken; it is compared in constant time.  All randomness is
 * RAND_bytes(); a failing generator is a failure (-1), never a weak
 * token.
 *
 * Lifecycle of a login:
 *  1. session_create(db, user_id, ttl, cookie, csrf) after the password
 *     checked out: the new row, and the cookie to set;
 *  2. session_lookup(db, cookie, &s) on later requests: s.user_id is 0
 *     for an anonymous session, and a session of an inactive user is
 *     reported as anonymous;
 *  3. session_destroy(db, cookie) at logout;
 *     session_destroy_user(db, user_id) at a password change ("log out
 *     everywhere").
 * session_lookup() needs db.arena set (as in pw.fcgi): the strings it
 * returns live in that arena until its reset.
 */
#include <stdint.h>

struct db;

#define SESSION_COOKIE		"sessionid"
#define SESSION_TOKEN_LEN	64	/* hex characters */
#define SESSION_TTL_DEFAULT	(14 * 24 * 3600)	/* Django's two weeks */

struct session {
	int64_t		 user_id;	/* 0: anonymous (or inactive user) */
	const char	*csrf_token;
	const char	*username;
	const char	*email;
	const char	*first_name;
	const char	*last_name;
	int		 is_admin;
};

/* SESSION_TOKEN_LEN hex digits and a NUL from RAND_bytes(); 0 or -1. */
int	 session_token_make(char *out);
/* The stored key of a cookie value: hex SHA-256, 64 digits and a NUL. */
void	 session_key(const char *cookie, char *out);
/* 1 when both are non-NULL and equal, in time independent of content. */
int	 session_token_equal(const char *a, const char *b);

/*
 * A new session for user_id (0: an anonymous one, for its CSRF token),
 * valid for ttl seconds.  The cookie value and CSRF token are written to
 * cookie and csrf (SESSION_TOKEN_LEN + 1 bytes each).  0 or -1.
 */
int	 session_create(struct db *, int64_t user_id, int ttl, char *cookie,
	    char *csrf);
/*
 * The unexpired session of a cookie: 1 found (s filled), 0 none (unknown,
 * expired, malformed cookie), -1 database failure.
 */
int	 session_lookup(struct db *, const char *cookie, struct session *s);
int	 session_destroy(struct db *, const char *cookie);
int	 session_destroy_user(struct db *, int64_t user_id);

#endif
