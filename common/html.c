/*
 * HTML writers (STYLE 4.3), appending to the current output buffer, which
 * main.c points at the response body before each request.
 *
 *	html_raw()	literal markup from our own source, unescaped
 *	html_text()	text content
 *	html_attr()	an attribute value (always written inside "...")
 *	html_url()	one URL component, percent-encoded
 *	html_textf()	printf, then html_text()
 *
 * html_text() and html_attr() share one invariant: & < > " ' are always
 * escaped, so either is safe in both places.  Nothing here allocates per
 * call; long runs of plain text are copied in one piece.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "html.h"

static struct buf *html_buf;

void
html_output(struct buf *b)
{
	html_buf = b;
}

void
html_raw(const char *s)
{
	buf_adds(html_buf, s);
}

void
html_rawn(const char *s, size_t n)
{
	buf_add(html_buf, s, n);
}

/* Append s[0..n) to b with & < > " ' escaped. */
void
html_escape(struct buf *b, const char *s, size_t n)
{
	const char *p, *e = s + n, *run = s;

	for (p = s; p < e; p++) {
		const char *rep;

		switch (*p) {
		case '&':	rep = "&amp;"; break;
		case '<':	rep = "&lt;"; break;
		case '>':	rep = "&gt;"; break;
		case '"':	rep = "&quot;"; break;
		case '\'':	rep = "&#39;"; break;
		default:	continue;
		}
		buf_add(b, run, (size_t)(p - run));
		buf_adds(b, rep);
		run = p + 1;
	}
	buf_add(b, run, (size_t)(e - run));
}

void
html_text(const char *s)
{
	if (s != NULL)
		html_escape(html_buf, s, strlen(s));
}

void
html_textn(const char *s, size_t n)
{
	html_escape(html_buf, s, n);
}

void
html_attr(const char *s)
{
	html_text(s);
}

/*
 * One URL component (a query value, a path segment): everything but
 * RFC 3986 unreserved characters is percent-encoded, so the result is
 * also safe inside an attribute.
 */
void
html_url(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3];

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			buf_addc(html_buf, *p);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		buf_add(html_buf, esc, 3);
	}
}

void
html_textf(const char *fmt, ...)
{
	char small[256], *s = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		struct buf tmp = BUF_INIT;

		va_start(ap, fmt);
		buf_vaddf(&tmp, fmt, ap);
		va_end(ap);
		html_escape(html_buf, tmp.s, tmp.len);
		buf_release(&tmp);
		return;
	}
	html_escape(html_buf, s, (size_t)n);
}
