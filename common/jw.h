#ifndef PW_JW_H
#define PW_JW_H
/*
 * A streaming JSON writer: output goes straight into a struct buf, with
 * no json-c tree (a page of 250 patches is ~400 kB of output, and
 * building then serialising a tree costs as much as the rest of the
 * request).  The writer keeps Django REST framework's rules: compact,
 * UTF-8 unescaped, U+2028/U+2029 escaped, null for missing values, keys
 * in the order written.  Used by the REST API (fcgi/api*.c) and by the
 * webhook worker, which must send what the API shows.
 *
 * Nothing here fails: allocation failure aborts.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct jw {
	struct buf	*b;
	int		 depth;
	uint64_t	 more;	/* bit d: level d already has an element */
};

void	 jw_init(struct jw *, struct buf *);
/* key is NULL inside arrays and at the top level.  Keys passed here are
 * literals of our code; jw_keyn() escapes one that comes from data. */
void	 jw_key(struct jw *, const char *key);
void	 jw_keyn(struct jw *, const char *key, size_t);
void	 jw_obj(struct jw *, const char *key);
void	 jw_obj_end(struct jw *);
void	 jw_arr(struct jw *, const char *key);
void	 jw_arr_end(struct jw *);
void	 jw_str(struct jw *, const char *key, const char *);	/* NULL: null */
void	 jw_strn(struct jw *, const char *key, const char *, size_t);
void	 jw_i64(struct jw *, const char *key, int64_t);
/* An integer in decimal, straight into a buffer (inside a string). */
void	 jw_put_i64(struct buf *, int64_t);
void	 jw_bool(struct jw *, const char *key, int);
void	 jw_null(struct jw *, const char *key);
/* A PostgreSQL timestamptz (UTC session) in Django's form; NULL: null. */
void	 jw_time(struct jw *, const char *key, const char *pgtext);
/* A string assembled by printf (URLs); escaped like any other string. */
void	 jw_strf(struct jw *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Write text already in JSON form (a literal of our code). */
void	 jw_raw(struct jw *, const char *key, const char *json);
/*
 * URLs without printf: pre is one of struct api's *_j prefixes (already
 * escaped for JSON), mid and tail literals of our code, ids in decimal:
 * jw_url(w, "url", a->prefix_j, "/patches/", 7, "/").
 */
void	 jw_url(struct jw *, const char *key, const char *pre,
	    const char *mid, int64_t id, const char *tail);
void	 jw_url2(struct jw *, const char *key, const char *pre,
	    const char *mid, int64_t id, const char *mid2, int64_t id2,
	    const char *tail);


#endif
