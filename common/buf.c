#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

char buf_empty[1];

void
buf_init(struct buf *b, size_t hint)
{
	b->s = buf_empty;
	b->len = b->cap = 0;
	if (hint)
		buf_grow(b, hint);
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t want, ncap;

	if (extra > (size_t)-1 / 2 - b->len)
		xmalloc((size_t)-1);	/* aborts: absurd size */
	want = b->len + extra;
	if (want <= b->cap)
		return;
	ncap = b->cap ? b->cap : 32;
	while (ncap < want)
		ncap = ncap / 2 * 3 + 16;
	if (b->cap == 0) {
		b->s = xmalloc(ncap + 1);
		b->s[0] = '\0';
	} else
		b->s = xrealloc(b->s, ncap + 1);
	b->cap = ncap;
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->s + b->len, b->cap ? b->cap - b->len + 1 : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n > b->cap - b->len || b->cap == 0) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->s + b->len, b->cap - b->len + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_setlen(struct buf *b, size_t len)
{
	if (len > b->cap)
		buf_grow(b, len - b->len);
	b->len = len;
	b->s[len] = '\0';
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->s[0] = '\0';
}

void
buf_release(struct buf *b)
{
	if (b->cap)
		free(b->s);
	buf_init(b, 0);
}

char *
buf_detach(struct buf *b, size_t *lenp)
{
	char *s;

	if (lenp)
		*lenp = b->len;
	s = b->cap ? b->s : xstrdup("");
	buf_init(b, 0);
	return s;
}
