#ifndef PW_BUF_H
#define PW_BUF_H
/*
 * Growable byte buffer.
 *
 * Invariants, after BUF_INIT or buf_init() and until buf_release():
 *  - s is never NULL;
 *  - s[len] == '\0', so s can always be used as a C string (it may also
 *    hold NUL bytes of binary data before len);
 *  - cap is the allocated size minus one (room for the terminator), or 0
 *    while s points at the shared empty string.
 *
 * Growth aborts on out of memory (see xalloc.h): functions here cannot fail.
 * buf_detach() hands over a string the caller must free() and leaves the
 * buffer re-initialised.  A struct buf may be copied only while empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void	 buf_init(struct buf *, size_t hint);
void	 buf_grow(struct buf *, size_t extra);
void	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vaddf(struct buf *, const char *, va_list);
void	 buf_setlen(struct buf *, size_t);
void	 buf_reset(struct buf *);	/* len = 0, keeps the memory */
void	 buf_release(struct buf *);	/* frees, re-initialises */
char	*buf_detach(struct buf *, size_t *lenp);

/*
 * The appenders every writer calls per token are inline: a call to
 * buf_grow() only when the room runs out.
 */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len < n)
		buf_grow(b, n);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void
buf_addc(struct buf *b, int c)
{
	if (b->cap == b->len)
		buf_grow(b, 1);
	b->s[b->len++] = (char)c;
	b->s[b->len] = '\0';
}

#endif
