/*
 * Patches and cover letters as mbox messages; the contract is in
 * mboxfmt.h.  Where Python's email package decides the bytes (formataddr,
 * RFC 2047 encoding, formatdate, ctime), the rules are spelled out next
 * to the code that follows them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "mboxfmt.h"
#include "xalloc.h"

/*
 * Length of the Python str.isspace() character at s (of n bytes), 0 if
 * none: ASCII blanks, \x1c-\x1f, and the Unicode spaces in UTF-8.
 */
static size_t
py_space(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (*s == ' ' || (*s >= '\t' && *s <= '\r') ||
	    (*s >= 0x1c && *s <= 0x1f))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* The same, for the character ending at s + n. */
static size_t
py_space_back(const unsigned char *s, size_t n)
{
	size_t k;

	for (k = 1; k <= 3 && k <= n; k++)
		if (py_space(s + n - k, k) == k)
			return k;
	return 0;
}

/* Python's strip() / rstrip() bounds of s[0..n). */
static void
py_strip(const char *s, size_t n, size_t *start, size_t *end, int left)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t a = 0, b = n, k;

	while (left && a < b && (k = py_space(p + a, b - a)) > 0)
		a += k;
	while (b > a && (k = py_space_back(p + a, b - a)) > 0)
		b -= k;
	*start = a;
	*end = b;
}

static const char *const trailer_words[] = {
	"tested", "reviewed", "acked", "signed-off", "nacked", "reported",
};

/* Does the line at s start with a review trailer? */
static int
is_trailer(const char *s, size_t len)
{
	size_t i, w;

	for (i = 0; i < sizeof(trailer_words) / sizeof(trailer_words[0]);
	    i++) {
		w = strlen(trailer_words[i]);
		if (len >= w + 4 && strncasecmp(s, trailer_words[i], w) == 0 &&
		    strncasecmp(s + w, "-by:", 4) == 0)
			return 1;
	}
	return 0;
}

void
mboxfmt_trailers(struct buf *b, const char *c)
{
	const char *e;
	size_t len;

	if (c == NULL)
		return;
	for (; *c != '\0'; c = *e ? e + 1 : e) {
		e = strchr(c, '\n');
		if (e == NULL)
			e = c + strlen(c);
		len = (size_t)(e - c);
		if (is_trailer(c, len)) {
			buf_add(b, c, len);
			buf_addc(b, '\n');
		}
	}
}

int
mboxfmt_has_trailer(const char *c)
{
	struct buf b = BUF_INIT;
	int rc;

	mboxfmt_trailers(&b, c);
	rc = b.len > 0;
	buf_release(&b);
	return rc;
}

/* Python's email.charset header encodings, shortest wins (q on a tie). */
static int
q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-!*+/", c) != NULL;
}

static void
rfc2047(struct buf *b, const char *s)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, qlen = 0, blen;

	for (i = 0; i < n; i++)
		qlen += q_safe(p[i]) || p[i] == ' ' ? 1 : 3;
	blen = n / 3 * 4 + (n % 3 ? 4 : 0);
	if (blen < qlen) {
		buf_adds(b, "=?utf-8?b?");
		for (i = 0; i + 2 < n; i += 3) {
			buf_addc(b, b64[p[i] >> 2]);
			buf_addc(b, b64[(p[i] & 3) << 4 | p[i + 1] >> 4]);
			buf_addc(b, b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6]);
			buf_addc(b, b64[p[i + 2] & 63]);
		}
		if (n - i == 1) {
			buf_addc(b, b64[p[i] >> 2]);
			buf_addc(b, b64[(p[i] & 3) << 4]);
			buf_adds(b, "==");
		} else if (n - i == 2) {
			buf_addc(b, b64[p[i] >> 2]);
			buf_addc(b, b64[(p[i] & 3) << 4 | p[i + 1] >> 4]);
			buf_addc(b, b64[(p[i + 1] & 15) << 2]);
			buf_addc(b, '=');
		}
	} else {
		buf_adds(b, "=?utf-8?q?");
		for (i = 0; i < n; i++) {
			if (q_safe(p[i]))
				buf_addc(b, p[i]);
			else if (p[i] == ' ')
				buf_addc(b, '_');
			else
				buf_addf(b, "=%02X", p[i]);
		}
	}
	buf_adds(b, "?=");
}

/*
 * formataddr(): a name with RFC 5322 specials is quoted ('\' and '"'
 * escaped), a non-ASCII one RFC 2047-encoded, an empty one left out.
 */
void
mboxfmt_addr(struct buf *b, const char *name, const char *email)
{
	const char *p;
	int ascii = 1, special = 0;

	if (name == NULL || *name == '\0') {
		buf_adds(b, email);
		return;
	}
	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
		if (strchr("[]\\()<>@,:;\".", *p) != NULL)
			special = 1;
	}
	if (!ascii)
		rfc2047(b, name);
	else {
		if (special)
			buf_addc(b, '"');
		for (p = name; *p != '\0'; p++) {
			if (*p == '\\' || *p == '"')
				buf_addc(b, '\\');
			buf_addc(b, *p);
		}
		if (special)
			buf_addc(b, '"');
	}
	buf_adds(b, " <");
	buf_adds(b, email);
	buf_addc(b, '>');
}

/*
 * The address part of a From value as Patchwork's split_from_header()
 * finds it: inside the first <...>; else before a "(Name)" comment; else
 * the whole value.  Folding is ignored.  Into out, stripped.
 */
static void
from_address(struct buf *out, const char *v, size_t n)
{
	const char *lt, *gt, *par;
	size_t a, e;

	lt = memchr(v, '<', n);
	if (lt != NULL && (gt = memchr(lt + 1, '>', n - (size_t)(lt + 1 - v)))
	    != NULL && gt > lt + 1) {
		v = lt + 1;
		n = (size_t)(gt - v);
	} else if ((par = memchr(v, '(', n)) != NULL &&
	    memchr(par, ')', n - (size_t)(par - v)) != NULL) {
		n = (size_t)(par - v);
		while (n > 0 && v[n - 1] == '"')
			n--;
		if (n > 0 && *v == '"') {
			v++;
			n--;
		}
	}
	py_strip(v, n, &a, &e, 1);
	for (; a < e; a++)
		if (v[a] != '\n' && v[a] != '\r')
			buf_addc(out, v[a]);
}

static int
is_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* A "--" / "---" line, with an optional trailing space. */
static int
is_separator(const char *s, size_t len)
{
	if (len > 0 && s[len - 1] == ' ')
		len--;
	return (len == 2 && s[0] == '-' && s[1] == '-') ||
	    (len == 3 && s[0] == '-' && s[1] == '-' && s[2] == '-');
}

/* The body of spec 14.2, step 5. */
static void
body(struct buf *b, const struct mboxfmt_msg *m)
{
	const char *c = m->content, *line, *e, *ps = NULL;
	size_t n, a, z, pa, pz, i;

	if (c != NULL && *c != '\0') {
		py_strip(c, strlen(c), &a, &z, 1);
		c += a;
		n = z - a;
		/* The first separator line splits message and postscript. */
		for (line = c; line <= c + n; line = e + 1) {
			e = memchr(line, '\n', (size_t)(c + n - line));
			if (e == NULL)
				e = c + n;
			if (is_separator(line, (size_t)(e - line))) {
				ps = e;
				break;
			}
			if (e == c + n)
				break;
		}
		if (ps != NULL) {
			py_strip(c, (size_t)(line - c), &a, &z, 1);
			buf_add(b, c + a, z - a);
			buf_addc(b, '\n');
			py_strip(ps, (size_t)(c + n - ps), &pa, &pz, 0);
		} else {
			buf_add(b, c, n);
			buf_addc(b, '\n');
		}
	}
	for (i = 0; i < m->ncomments; i++)
		mboxfmt_trailers(b, m->comments[i]);
	if (ps != NULL && pz > 0) {
		buf_adds(b, "---");
		buf_add(b, ps, pz);
		buf_addc(b, '\n');
	}
	if (m->diff != NULL && *m->diff != '\0') {
		buf_addc(b, '\n');
		buf_adds(b, m->diff);
	}
}

/*
 * Header folding, as Python's compat32 generator re-folds every header it
 * writes (email.header.Header.encode(), maxlinelen 78, splitchars
 * ";, \t"): a value is cut into (whitespace, word) chunks; when a chunk
 * makes the line longer than 78 columns (the first line counting
 * "Name: "), the line is broken before the last chunk that follows a
 * word ending in ';', else ',', else before the last chunk whose
 * whitespace starts with a space, else with a tab; the chunk keeps its
 * whitespace, which starts the continuation line.  A chunk with no such
 * break before it goes on a line of its own (on the first line only),
 * else stays, however long.  Line breaks already in the value are kept,
 * each continuation with its own leading whitespace.  Only one break is
 * made per chunk added, as in Python.  Values with bytes beyond ASCII
 * are written as they are: Python would RFC 2047-encode them (see
 * docs/api-writes.md).
 */
#define FOLD_MAX	78

struct chunk {
	const char	*ws, *w;
	size_t		 wsn, wn;
};

struct folder {
	struct buf	*b;
	struct chunk	*c;		/* the current line's chunks */
	size_t		 n, cap;
	size_t		 initial;	/* "Name: " on the first line */
	int		 lines;		/* lines written so far */
};

static size_t
line_len(const struct folder *f)
{
	size_t i, len = f->initial;

	for (i = 0; i < f->n; i++)
		len += f->c[i].wsn + f->c[i].wn;
	return len;
}

/* Write chunks [0, k) as a line of its own. */
static void
emit_line(struct folder *f, size_t k)
{
	size_t i;

	if (f->lines++ > 0)
		buf_addc(f->b, '\n');
	for (i = 0; i < k; i++) {
		buf_add(f->b, f->c[i].ws, f->c[i].wsn);
		buf_add(f->b, f->c[i].w, f->c[i].wn);
	}
}

static void
push(struct folder *f, const char *ws, size_t wsn, const char *w, size_t wn)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->c = xrealloc(f->c, f->cap * sizeof(*f->c));
	}
	f->c[f->n].ws = ws;
	f->c[f->n].wsn = wsn;
	f->c[f->n].w = w;
	f->c[f->n].wn = wn;
	f->n++;
}

static int
only_ws(const struct folder *f)
{
	size_t i, j;
	int any = 0;

	if (f->initial > 0)
		return 0;
	for (i = 0; i < f->n; i++) {
		if (f->c[i].wn > 0)
			return 0;
		for (j = 0; j < f->c[i].wsn; j++)
			any = 1;
	}
	return f->n == 0 || any;
}

/* _ValueFormatter.newline() */
static void
fold_newline(struct folder *f)
{
	size_t i;

	if (f->n > 0 && f->c[f->n - 1].wn == 0 &&
	    f->c[f->n - 1].wsn == 1 && f->c[f->n - 1].ws[0] == ' ')
		f->n--;		/* a transition (' ', '') */
	if (line_len(f) > 0) {
		if (only_ws(f) && f->lines > 0) {
			for (i = 0; i < f->n; i++)
				buf_add(f->b, f->c[i].ws, f->c[i].wsn);
		} else
			emit_line(f, f->n);
	}
	f->n = 0;
	f->initial = 0;
}

/* _ValueFormatter._append_chunk() */
static void
fold_chunk(struct folder *f, const char *ws, size_t wsn, const char *w,
    size_t wn)
{
	static const char split[] = ";, \t";
	const struct chunk *prev;
	size_t i = 0, k;
	const char *ch;

	push(f, ws, wsn, w, wn);
	if (line_len(f) <= FOLD_MAX)
		return;
	for (ch = split; *ch != '\0'; ch++) {
		for (i = f->n - 1; i > 0; i--) {
			if ((*ch == ' ' || *ch == '\t') && f->c[i].wsn > 0 &&
			    f->c[i].ws[0] == *ch)
				break;
			prev = &f->c[i - 1];
			if (prev->wn > 0 && prev->w[prev->wn - 1] == *ch)
				break;
		}
		if (i > 0)
			break;
	}
	if (*ch == '\0') {
		/* No break: the chunk goes on a line of its own after the
		 * header's first line, else stays. */
		if (f->initial > 0) {
			f->n--;
			fold_newline(f);
			if (wsn == 0) {
				ws = " ";
				wsn = 1;
			}
			push(f, ws, wsn, w, wn);
		}
		return;
	}
	emit_line(f, i);
	for (k = i; k < f->n; k++)
		f->c[k - i] = f->c[k];
	f->n -= i;
	f->initial = 0;
}

/* _ValueFormatter._ascii_split(): a line as (whitespace, word) chunks. */
static void
fold_feed(struct folder *f, const char *s, size_t n)
{
	const char *p = s, *e = s + n, *a, *w;

	while (p < e) {
		a = p;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		w = p;
		while (p < e && *p != ' ' && *p != '\t')
			p++;
		fold_chunk(f, a, (size_t)(w - a), w, (size_t)(p - w));
	}
}

/* Python's str.splitlines() boundaries within ASCII. */
static size_t
line_break(const char *p, const char *e)
{
	if (*p == '\r' && p + 1 < e && p[1] == '\n')
		return 2;
	return (*p == '\n' || *p == '\r' || *p == '\v' || *p == '\f' ||
	    *p == '\x1c' || *p == '\x1d' || *p == '\x1e') ? 1 : 0;
}

/* "Name: value\n", the value folded as Python writes it. */
static void
header_line(struct buf *b, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	struct folder f;
	const char *p, *e = v + vlen, *line;
	size_t nl;
	int nlines = 0;

	buf_add(b, name, nlen);
	buf_add(b, ": ", 2);
	if (!is_ascii(v, vlen)) {
		buf_add(b, v, vlen);
		buf_addc(b, '\n');
		return;
	}
	memset(&f, 0, sizeof(f));
	f.b = b;
	f.initial = nlen + 2;
	for (line = p = v; ; ) {
		nl = p < e ? line_break(p, e) : 0;
		if (p < e && nl == 0) {
			p++;
			continue;
		}
		if (p == e && p == line && nlines > 0)
			break;		/* splitlines(): no empty last line */
		/* Each later line keeps its leading whitespace. */
		if (nlines++ > 0)
			fold_newline(&f);
		fold_feed(&f, line, (size_t)(p - line));
		if (p == e)
			break;
		p += nl;
		line = p;
	}
	if (nlines > 1)
		fold_newline(&f);
	push(&f, " ", 1, "", 0);	/* add_transition() */
	fold_newline(&f);
	buf_addc(b, '\n');
	free(f.c);
}

static int
name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

void
mboxfmt_write(struct buf *b, const struct mboxfmt_msg *m)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec" };
	struct buf bd = BUF_INIT, sub = BUF_INIT, addr = BUF_INIT;
	const char *h, *e, *colon, *v, *p, *cr;
	time_t t = (time_t)m->date;
	struct tm tm;
	size_t nlen, vlen;
	int have_date = 0;

	body(&bd, m);
	mboxfmt_addr(&sub, m->submitter_name, m->submitter_email);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));

	/* Python's ctime(): "Wed May  1 10:11:12 2024". */
	buf_addf(b, "From patchwork %s %s %2d %02d:%02d:%02d %d\n",
	    days[tm.tm_wday % 7], months[tm.tm_mon % 12], tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
	buf_adds(b, "Content-Type: text/plain; charset=\"utf-8\"\n"
	    "MIME-Version: 1.0\n");
	buf_addf(b, "Content-Transfer-Encoding: %s\n",
	    is_ascii(bd.s, bd.len) ? "7bit" : "8bit");
	header_line(b, "X-Patchwork-Submitter", 21, sub.s, sub.len);
	buf_addf(b, "X-Patchwork-Id: %lld\n", (long long)m->id);
	if (m->delegate_email != NULL)
		header_line(b, "X-Patchwork-Delegate", 20, m->delegate_email,
		    strlen(m->delegate_email));

	/* The stored headers: "Name: value", continuation lines indented. */
	for (h = m->headers != NULL ? m->headers : ""; *h != '\0'; h = e) {
		/* One header: its first line and every continuation. */
		e = h;
		do {
			e = strchr(e, '\n');
			e = e != NULL ? e + 1 : h + strlen(h);
		} while (*e == ' ' || *e == '\t');
		if (*h == '\n')
			break;		/* the end of a header block */
		colon = memchr(h, ':', (size_t)(e - h));
		if (colon == NULL)
			continue;
		nlen = (size_t)(colon - h);
		v = colon + 1;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(e - v);
		while (vlen > 0 && (v[vlen - 1] == '\n' || v[vlen - 1] == '\r'))
			vlen--;
		if (name_is(h, nlen, "Content-Type") ||
		    name_is(h, nlen, "Content-Transfer-Encoding"))
			continue;
		if (name_is(h, nlen, "Date"))
			have_date = 1;
		if (name_is(h, nlen, "From") && m->list_email != NULL) {
			buf_reset(&addr);
			from_address(&addr, v, vlen);
			if (strcmp(addr.s, m->list_email) == 0) {
				header_line(b, "X-Patchwork-Original-From", 25,
				    v, vlen);
				header_line(b, h, nlen, sub.s, sub.len);
				continue;
			}
		}
		header_line(b, h, nlen, v, vlen);
	}
	/* email.utils.formatdate(): "Wed, 01 May 2024 10:11:12 -0000". */
	if (!have_date)
		buf_addf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d -0000\n",
		    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf_addc(b, '\n');
	/* Python's generator writes every line ending of the payload,
	 * CRLF or a lone CR as well, as "\n". */
	for (p = bd.s, e = bd.s + bd.len; p < e; p = cr + 1) {
		if ((cr = memchr(p, '\r', (size_t)(e - p))) == NULL) {
			buf_add(b, p, (size_t)(e - p));
			break;
		}
		buf_add(b, p, (size_t)(cr - p));
		buf_addc(b, '\n');
		if (cr + 1 < e && cr[1] == '\n')
			cr++;
	}
	buf_release(&bd);
	buf_release(&sub);
	buf_release(&addr);
}

void
mboxfmt_filename(struct buf *b, const char *name, const char *fallback)
{
	size_t start = b->len;
	int dash = 0;
	const char *p;

	for (p = name != NULL ? name : ""; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.') {
			if (dash && b->len > start)
				buf_addc(b, '-');
			dash = 0;
			buf_addc(b, *p);
		} else
			dash = 1;
	}
	/* Strip '-' at both ends (a leading run was never written). */
	while (b->len > start && b->s[start] == '-') {
		memmove(b->s + start, b->s + start + 1, b->len - start - 1);
		buf_setlen(b, b->len - 1);
	}
	while (b->len > start && b->s[b->len - 1] == '-')
		buf_setlen(b, b->len - 1);
	if (b->len == start)
		buf_adds(b, fallback);
}
