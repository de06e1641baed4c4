/*
 * The streaming JSON writer; see jw.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jw.h"
#include "xalloc.h"

void
jw_init(struct jw *w, struct buf *b)
{
	w->b = b;
	w->depth = 0;
	w->more = 0;
}

static void
jw_sep(struct jw *w)
{
	uint64_t bit = 1ULL << (w->depth & 63);

	if (w->more & bit)
		buf_addc(w->b, ',');
	else
		w->more |= bit;
}

void
jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	if (key == NULL)
		return;
	buf_addc(w->b, '"');
	buf_adds(w->b, key);
	buf_add(w->b, "\":", 2);
}

void
jw_keyn(struct jw *w, const char *key, size_t n)
{
	jw_sep(w);
	json_quote(w->b, key, n);
	buf_addc(w->b, ':');
}

static void
jw_open(struct jw *w, const char *key, int c)
{
	jw_key(w, key);
	buf_addc(w->b, c);
	w->depth++;
	w->more &= ~(1ULL << (w->depth & 63));
}

void
jw_obj(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void
jw_obj_end(struct jw *w)
{
	w->depth--;
	buf_addc(w->b, '}');
}

void
jw_arr(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void
jw_arr_end(struct jw *w)
{
	w->depth--;
	buf_addc(w->b, ']');
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s == NULL)
		buf_add(w->b, "null", 4);
	else
		json_quote(w->b, s, strlen(s));
}

void
jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_key(w, key);
	if (s == NULL)
		buf_add(w->b, "null", 4);
	else
		json_quote(w->b, s, n);
}

void
jw_put_i64(struct buf *b, int64_t v)
{
	char t[24];
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	int n = sizeof(t);

	do
		t[--n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		t[--n] = '-';
	buf_add(b, t + n, sizeof(t) - (size_t)n);
}

void
jw_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_put_i64(w->b, v);
}

void
jw_url(struct jw *w, const char *key, const char *pre, const char *mid,
    int64_t id, const char *tail)
{
	jw_key(w, key);
	buf_addc(w->b, '"');
	buf_adds(w->b, pre);
	buf_adds(w->b, mid);
	jw_put_i64(w->b, id);
	buf_adds(w->b, tail);
	buf_addc(w->b, '"');
}

void
jw_url2(struct jw *w, const char *key, const char *pre, const char *mid,
    int64_t id, const char *mid2, int64_t id2, const char *tail)
{
	jw_key(w, key);
	buf_addc(w->b, '"');
	buf_adds(w->b, pre);
	buf_adds(w->b, mid);
	jw_put_i64(w->b, id);
	buf_adds(w->b, mid2);
	jw_put_i64(w->b, id2);
	buf_adds(w->b, tail);
	buf_addc(w->b, '"');
}

void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	if (v)
		buf_add(w->b, "true", 4);
	else
		buf_add(w->b, "false", 5);
}

void
jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	buf_add(w->b, "null", 4);
}

void
jw_raw(struct jw *w, const char *key, const char *json)
{
	jw_key(w, key);
	buf_adds(w->b, json);
}

/*
 * "2024-05-01 10:11:12.5+00" → "2024-05-01T10:11:12.500000": Django's
 * naive UTC datetime, six fraction digits only when not all zero.
 */
void
jw_time(struct jw *w, const char *key, const char *pg)
{
	char s[32];
	size_t n, i;
	int nonzero = 0;

	jw_key(w, key);
	if (pg == NULL) {
		buf_add(w->b, "null", 4);
		return;
	}
	if (strlen(pg) < 19 || pg[4] != '-' || pg[10] != ' ') {
		json_quote(w->b, pg, strlen(pg));	/* not expected */
		return;
	}
	memcpy(s, pg, 19);
	s[10] = 'T';
	n = 19;
	if (pg[19] == '.') {
		s[n++] = '.';
		for (i = 20; i < 26 && pg[i] >= '0' && pg[i] <= '9'; i++) {
			nonzero |= pg[i] != '0';
			s[n++] = pg[i];
		}
		for (; i < 26; i++)
			s[n++] = '0';
		if (!nonzero)
			n = 19;
	}
	buf_addc(w->b, '"');
	buf_add(w->b, s, n);
	buf_addc(w->b, '"');
}

void
jw_strf(struct jw *w, const char *key, const char *fmt, ...)
{
	char small[256], *p = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(small)) {
		p = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	jw_key(w, key);
	json_quote(w->b, p, (size_t)n);
	if (p != small)
		free(p);
}
