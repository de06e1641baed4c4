/*
 * Header primitives with the reference's (Python's email package)
 * semantics: RFC 2047 decoding as decode_header() + make_header() +
 * str() do it, Message-Id and List-Id extraction, From splitting, and
 * parsedate_tz() + mktime_tz().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mailhdr.h"
#include "rx.h"
#include "text.h"
#include "xalloc.h"

/* Room for element n of an array of n elements: doubles at powers of two. */
static void *
grow1(void *p, size_t n, size_t sz)
{
	if ((n & (n - 1)) == 0)
		p = xreallocarray(p, n ? 2 * n : 1, sz);
	return p;
}

/* ---- RFC 2047 ------------------------------------------------------ */

enum word_kind { W_PLAIN, W_Q, W_B };

struct word {
	enum word_kind	 kind;
	const char	*s;	/* raw text (plain) or encoded text */
	size_t		 n;
	const char	*cs;	/* charset of an encoded word (not terminated) */
	size_t		 csn;
};

/*
 * Where the next "?=" on the current line is.  Searches never overlap, so
 * scanning a whole header costs linear time whatever it holds.
 */
struct qe_scan {
	const char	*from;	/* last search started here */
	const char	*stop;	/* and stopped here: at "?=", or a line end */
	int		 found;
};

static const char *
next_qe(struct qe_scan *q, const char *p, const char *end)
{
	const char *s;

	if (q->from != NULL && p >= q->from && p <= q->stop)
		return q->found ? q->stop : NULL;
	for (s = p; s + 1 < end && *s != '\n' && *s != '\r'; s++)
		if (s[0] == '?' && s[1] == '=') {
			q->from = p;
			q->stop = s;
			q->found = 1;
			return s;
		}
	q->from = p;
	q->stop = s;
	q->found = 0;
	return NULL;
}

/*
 * One encoded-word at s (which ends at end): =?charset?[qQbB]?encoded?=
 * with the reference's non-greedy groups (charset up to the first '?',
 * text up to the first "?="), within one line.  Returns its length, or 0.
 */
static size_t
encoded_word(const char *s, const char *end, struct word *w,
    struct qe_scan *q)
{
	const char *p = s + 2, *e0, *qe;

	if (end - s < 6 || s[0] != '=' || s[1] != '?')
		return 0;
	while (p < end && *p != '?' && *p != '\n' && *p != '\r')
		p++;
	if (end - p < 3 || *p != '?')
		return 0;
	w->cs = s + 2;
	w->csn = (size_t)(p - s - 2);
	p++;
	if (*p == 'q' || *p == 'Q')
		w->kind = W_Q;
	else if (*p == 'b' || *p == 'B')
		w->kind = W_B;
	else
		return 0;
	if (*++p != '?')
		return 0;
	e0 = ++p;
	if ((qe = next_qe(q, e0, end)) == NULL)
		return 0;
	w->s = e0;
	w->n = (size_t)(qe - e0);
	return (size_t)(qe + 2 - s);
}

static int
is_ws_only(const char *s, size_t n)
{
	size_t sp;

	if (n == 0)
		return 0;
	while (n > 0 && (sp = text_space_len(s, n)) > 0) {
		s += sp;
		n -= sp;
	}
	return n == 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* email.quoprimime.header_decode() */
static void
q_decode(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '_')
			buf_addc(b, ' ');
		else if (s[i] == '=' && n - i >= 3 && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			buf_addc(b, hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else
			buf_addc(b, s[i]);
	}
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * decode_header()'s base64: pad to a multiple of four, then
 * binascii.a2b_base64() in its lenient mode.  -1 where it raises.
 */
static int
b_decode(struct buf *b, const char *s, size_t n)
{
	size_t i, total = n + (n % 4 ? 4 - n % 4 : 0);
	int quad = 0, pads = 0, v;
	unsigned left = 0;

	for (i = 0; i < total; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '=';

		if (c == '=') {
			if (quad >= 2 && quad + ++pads >= 4)
				return 0;
			continue;
		}
		if ((v = b64val(c)) < 0)
			continue;
		pads = 0;
		switch (quad) {
		case 0:
			left = (unsigned)v;
			quad = 1;
			break;
		case 1:
			buf_addc(b, (int)((left << 2 | (unsigned)v >> 4) & 0xff));
			left = (unsigned)v & 0x0f;
			quad = 2;
			break;
		case 2:
			buf_addc(b, (int)((left << 4 | (unsigned)v >> 2) & 0xff));
			left = (unsigned)v & 0x03;
			quad = 3;
			break;
		case 3:
			buf_addc(b, (int)((left << 6 | (unsigned)v) & 0xff));
			quad = 0;
			break;
		}
	}
	return quad == 0 ? 0 : -1;
}

struct chunk {
	struct buf	 bytes;
	char		*cs;	/* lower-cased charset, NULL when unencoded */
};

static int
cs_is_ascii(const char *cs)
{
	return cs == NULL || strcmp(cs, "us-ascii") == 0 ||
	    strcmp(cs, "ascii") == 0;
}

static int
cs_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Header._nonctext() of one character */
static int
nonctext(const char *s, size_t n)
{
	return n > 0 && (text_space_len(s, n) == n || (n == 1 &&
	    (s[0] == '(' || s[0] == ')' || s[0] == '\\')));
}

static size_t
last_char_len(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0) {
		i--;
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			break;
	}
	return n - i;
}

/* Text of one chunk: its charset, or ASCII with U+FFFD when that fails. */
static void
chunk_text(struct buf *out, const struct chunk *c)
{
	size_t i, base = out->len;

	if (c->cs == NULL) {
		text_add_lossy(out, c->bytes.s, c->bytes.len);	/* D3 */
		return;
	}
	if (c->cs[0] != '\0' &&
	    charset_decode_exact(out, c->cs, c->bytes.s, c->bytes.len) == 0)
		return;
	buf_setlen(out, base);
	for (i = 0; i < c->bytes.len; i++) {
		if ((unsigned char)c->bytes.s[i] < 0x80)
			buf_addc(out, c->bytes.s[i]);
		else
			buf_adds(out, "\xef\xbf\xbd");
	}
}

static void
add_word(struct word **w, size_t *nw, const struct word *x)
{
	*w = grow1(*w, *nw, sizeof(**w));
	(*w)[(*nw)++] = *x;
}

/*
 * decode_header()'s split: per line, plain pieces and encoded-words; the
 * first plain piece of each line loses its leading whitespace.
 */
static void
collect_words(const char *raw, size_t len, struct word **w, size_t *nw)
{
	const char *end = raw + len, *line, *eol, *start, *k;
	struct qe_scan q = { NULL, NULL, 0 };
	struct word x, plain;
	size_t step, sp, pn;
	int first;

	for (line = raw; line <= end; line = eol + 1) {
		for (eol = line; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			;
		first = 1;
		start = line;
		for (k = line; k <= eol; k += step) {
			step = 1;
			if (k < eol && (step = encoded_word(k, eol, &x, &q)) == 0) {
				step = 1;
				continue;
			}
			/* the plain text before this word (or the line's end) */
			plain.kind = W_PLAIN;
			plain.s = start;
			pn = (size_t)(k - start);
			if (first) {
				while (pn > 0 &&
				    (sp = text_space_len(plain.s, pn)) > 0) {
					plain.s += sp;
					pn -= sp;
				}
				first = 0;
			}
			plain.n = pn;
			plain.cs = NULL;
			plain.csn = 0;
			if (pn > 0)
				add_word(w, nw, &plain);
			if (k >= eol)
				break;
			add_word(w, nw, &x);
			start = k + step;
		}
		if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
			eol++;
		if (eol >= end)
			break;
	}
}

static int
decode_words(struct buf *out, const char *raw, size_t len)
{
	struct word *w = NULL;
	size_t nw = 0, i;
	struct chunk *ch = NULL;
	size_t nch = 0;
	struct buf txt = BUF_INIT, joined = BUF_INIT;
	int rc = -1, lastcs_ascii = 1, lastspace = 0;

	collect_words(raw, len, &w, &nw);

	/* drop whitespace-only plain words between two encoded words */
	{
		size_t j = 0;
		int *drop = xcalloc(nw ? nw : 1, sizeof(int));

		for (i = 2; i < nw; i++)
			if (w[i].kind != W_PLAIN && w[i - 2].kind != W_PLAIN &&
			    is_ws_only(w[i - 1].s, w[i - 1].n))
				drop[i - 1] = 1;
		for (i = 0; i < nw; i++)
			if (!drop[i])
				w[j++] = w[i];
		nw = j;
		free(drop);
	}

	/* decode, then collapse runs of one charset (plain ones joined by
	 * a space, encoded ones concatenated) */
	for (i = 0; i < nw; i++) {
		char *cs = NULL;
		struct buf dec = BUF_INIT;

		if (w[i].kind == W_PLAIN)
			buf_add(&dec, w[i].s, w[i].n);
		else {
			size_t q;

			cs = xstrndup(w[i].cs, w[i].csn);
			for (q = 0; cs[q] != '\0'; q++) {
				if (cs[q] >= 'A' && cs[q] <= 'Z')
					cs[q] += 32;
				if (cs[q] == '*')	/* RFC 2231 language */
					cs[q] = '\0';
			}
			if (w[i].kind == W_Q)
				q_decode(&dec, w[i].s, w[i].n);
			else if (b_decode(&dec, w[i].s, w[i].n) < 0) {
				free(cs);
				buf_release(&dec);
				goto out;
			}
		}
		if (nch > 0 && cs_equal(ch[nch - 1].cs, cs)) {
			if (cs == NULL)
				buf_addc(&ch[nch - 1].bytes, ' ');
			buf_add(&ch[nch - 1].bytes, dec.s, dec.len);
			free(cs);
			buf_release(&dec);
			continue;
		}
		ch = grow1(ch, nch, sizeof(*ch));
		ch[nch].bytes = dec;
		ch[nch].cs = cs;
		nch++;
	}

	/* make_header() + Header.__str__(): us-ascii neighbours join with a
	 * space; a space goes between encoded and plain text that touch */
	for (i = 0; i < nch; i++) {
		int ascii = cs_is_ascii(ch[i].cs), hasspace;

		buf_reset(&txt);
		chunk_text(&txt, &ch[i]);
		if (i > 0 && ascii && lastcs_ascii) {
			/* _normalize(): same (us-ascii) charset, SPACE join */
			buf_addc(&joined, ' ');
		} else if (i > 0) {
			uint32_t c0;
			size_t l0 = u8_next(txt.s, txt.len, &c0);

			hasspace = txt.len > 0 && nonctext(txt.s, l0);
			if (!lastcs_ascii) {
				if (ascii && !hasspace)
					buf_addc(&joined, ' ');
			} else if (!ascii && !lastspace)
				buf_addc(&joined, ' ');
		}
		if (txt.len > 0) {
			size_t l1 = last_char_len(txt.s, txt.len);

			lastspace = nonctext(txt.s + txt.len - l1, l1);
		} else
			lastspace = 0;
		lastcs_ascii = ascii;
		buf_add(&joined, txt.s, txt.len);
	}
	text_add_collapsed(out, joined.s, joined.len);
	rc = 0;
out:
	for (i = 0; i < nch; i++) {
		buf_release(&ch[i].bytes);
		free(ch[i].cs);
	}
	free(ch);
	free(w);
	buf_release(&txt);
	buf_release(&joined);
	return rc;
}

int
hdr_clean(struct buf *out, const char *raw, size_t len)
{
	struct buf tmp = BUF_INIT;
	struct qe_scan qs = { NULL, NULL, 0 };
	struct word x;
	const char *q;
	size_t i;
	int ascii = 1;

	/* no encoded-word: the raw text itself (8-bit read as UTF-8, D3) */
	for (q = raw; (q = memchr(q, '=', len - (size_t)(q - raw))) != NULL; q++)
		if (encoded_word(q, raw + len, &x, &qs) > 0)
			return decode_words(out, raw, len);
	for (i = 0; i < len; i++)
		if ((unsigned char)raw[i] >= 0x80) {
			ascii = 0;
			break;
		}
	if (ascii) {
		text_add_collapsed(out, raw, len);
		return 0;
	}
	text_add_lossy(&tmp, raw, len);
	text_add_collapsed(out, tmp.s, tmp.len);
	buf_release(&tmp);
	return 0;
}

/* ---- Message-Id, List-Id ------------------------------------------- */

int
hdr_angle_first(const char *s, size_t len, size_t *start, size_t *end)
{
	const char *lt, *gt;
	size_t i = 0;

	while (i < len && (lt = memchr(s + i, '<', len - i)) != NULL) {
		i = (size_t)(lt - s);
		gt = memchr(lt + 1, '>', len - i - 1);
		if (gt == NULL)
			return 0;
		if (gt > lt + 1) {
			*start = i;
			*end = (size_t)(gt - s) + 1;
			return 1;
		}
		i++;
	}
	return 0;
}

char *
hdr_list_id(const char *clean)
{
	size_t len = strlen(clean), i, sp;
	const char *gt;

	/* .*<([^>]+)>.* with DOTALL: the greedy start finds the last '<'
	 * that has a '>' after it, with text between */
	gt = NULL;
	for (i = len; i > 0; i--) {
		if (clean[i - 1] == '>')
			gt = clean + i - 1;
		else if (clean[i - 1] == '<' && gt != NULL && gt > clean + i)
			return xstrndup(clean + i, (size_t)(gt - clean) - i);
	}
	/* ^(\S+)$ */
	if (len == 0)
		return NULL;
	for (i = 0; i < len; i += sp ? sp : 1)
		if ((sp = text_space_len(clean + i, len - i)) > 0)
			return NULL;
	return xstrdup(clean);
}

/* ---- From ---------------------------------------------------------- */

static struct rx *from_rx[3], *email_rx;

static const char *const from_patterns[3] = {
	/* "Firstname Lastname" <example@example.com> */
	"\"?(.*?)\"?\\s*<([^>]+)>",
	/* example at example.com (Firstname Lastname) */
	"(.*?)\\sat\\s(.*?)\\s*\\(([^\\)]+)\\)",
	/* example@example.com (Firstname Lastname) */
	"\"?(.*?)\"?\\s*\\(([^\\)]+)\\)",
};

static char *
stripped(const char *s, size_t n)
{
	size_t a = 0, b = n;

	text_strip(s, &a, &b);
	return xstrndup(s + a, text_prefix_len(s + a, b - a, 255));
}

void
hdr_split_from(const char *clean, char **name, char **email)
{
	size_t len, ov[8];
	struct buf nm = BUF_INIT, em = BUF_INIT;
	int i;

	*name = *email = NULL;
	if (clean == NULL)
		return;
	len = strlen(clean);
	for (i = 0; i < 3; i++) {
		if (from_rx[i] == NULL)
			from_rx[i] = rx_compile(from_patterns[i], RX_ANCHORED,
			    NULL, 0);
		if (from_rx[i] != NULL &&
		    rx_match(from_rx[i], clean, len, 0, 0, ov, 4) > 0)
			break;
	}
	switch (i) {
	case 0: {
		size_t k;

		/* the name loses its double quotes */
		for (k = ov[2]; k < ov[3]; k++)
			if (clean[k] != '"')
				buf_addc(&nm, clean[k]);
		buf_add(&em, clean + ov[4], ov[5] - ov[4]);
		break;
	}
	case 1:
		buf_add(&nm, clean + ov[6], ov[7] - ov[6]);
		buf_add(&em, clean + ov[2], ov[3] - ov[2]);
		buf_addc(&em, '@');
		buf_add(&em, clean + ov[4], ov[5] - ov[4]);
		break;
	case 2:
		buf_add(&nm, clean + ov[4], ov[5] - ov[4]);
		buf_add(&em, clean + ov[2], ov[3] - ov[2]);
		break;
	default:
		*email = stripped(clean, len);
		return;
	}
	*name = stripped(nm.s, nm.len);
	*email = stripped(em.s, em.len);
	buf_release(&nm);
	buf_release(&em);
}

int
hdr_email_valid(const char *email)
{
	if (email_rx == NULL)
		email_rx = rx_compile(
		    "^[\\w!#$%&\"*+/=?^`{|}~-]+(?:\\.[\\w!#$%&\"*+/=?^`{|}~-]+)*"
		    "@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+"
		    "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$", 0, NULL, 0);
	return email_rx != NULL &&
	    rx_match(email_rx, email, strlen(email), 0, 0, NULL, 0) > 0;
}

/* ---- Date ---------------------------------------------------------- */

struct tok {
	const char	*s;
	size_t		 n;
};

static int
tok_is(struct tok t, const char *lit)
{
	return strlen(lit) == t.n && strncasecmp(t.s, lit, t.n) == 0;
}

static int
month_of(struct tok t)
{
	static const char *const names[] = {
		"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
		"oct", "nov", "dec", "january", "february", "march", "april",
		"may", "june", "july", "august", "september", "october",
		"november", "december",
	};
	int i;

	for (i = 0; i < 24; i++)
		if (tok_is(t, names[i]))
			return i % 12 + 1;
	return 0;
}

/* Python int() on a token: optional sign, ASCII digits; bounded. */
static int
tok_int(struct tok t, int64_t *v)
{
	size_t i = 0;
	int neg = 0;
	int64_t x = 0;

	if (t.n > 0 && (t.s[0] == '+' || t.s[0] == '-')) {
		neg = t.s[0] == '-';
		i = 1;
	}
	if (i >= t.n)
		return -1;
	for (; i < t.n; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return -1;
		if (x > INT64_C(1000000000000))
			return -2;	/* far out of any date's range */
		x = x * 10 + (t.s[i] - '0');
	}
	*v = neg ? -x : x;
	return 0;
}

/* days from 0001-01-01 style civil date to 1970-01-01 (proleptic) */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
hdr_date(const char *clean, int64_t *out)
{
	struct tok t[8], dd, mm, yy, tm, tz, parts[3];
	size_t len, i, nt = 0, sp, np;
	int64_t year, day, hh, mi, ss, off = 0, secs, v;
	int month, have_off = 0;
	const char *c;

	if (clean == NULL)
		return -1;
	len = strlen(clean);
	/* data.split() */
	for (i = 0; i < len; ) {
		size_t a;

		if ((sp = text_space_len(clean + i, len - i)) > 0) {
			i += sp;
			continue;
		}
		a = i;
		while (i < len && text_space_len(clean + i, len - i) == 0)
			i++;
		if (nt < 8) {
			t[nt].s = clean + a;
			t[nt].n = i - a;
		}
		nt++;
	}
	if (nt == 0)
		return -1;
	if (nt > 8)
		nt = 8;	/* only the first five are ever used */
	if ((t[0].n > 0 && t[0].s[t[0].n - 1] == ',') || tok_is(t[0], "mon") ||
	    tok_is(t[0], "tue") || tok_is(t[0], "wed") || tok_is(t[0], "thu") ||
	    tok_is(t[0], "fri") || tok_is(t[0], "sat") || tok_is(t[0], "sun")) {
		memmove(t, t + 1, (nt - 1) * sizeof(t[0]));
		nt--;
	} else {
		for (i = t[0].n; i > 0; i--)
			if (t[0].s[i - 1] == ',') {
				t[0].s += i;
				t[0].n -= i;
				break;
			}
	}
	if (nt == 3) {
		/* RFC 850: dd-mon-yy */
		for (np = 0, c = t[0].s, i = 0; i <= t[0].n; i++) {
			if (i == t[0].n || t[0].s[i] == '-') {
				if (np < 3) {
					parts[np].s = c;
					parts[np].n = (size_t)(t[0].s + i - c);
				}
				np++;
				c = t[0].s + i + 1;
			}
		}
		if (np == 3) {
			t[4] = t[2];
			t[3] = t[1];
			t[0] = parts[0];
			t[1] = parts[1];
			t[2] = parts[2];
			nt = 5;
		}
	}
	if (nt == 4) {
		struct tok s = t[3];
		const char *p = memchr(s.s, '+', s.n);

		if (p == NULL)
			p = memchr(s.s, '-', s.n);
		if (p != NULL && p > s.s) {
			t[3].n = (size_t)(p - s.s);
			t[4].s = p;
			t[4].n = s.n - t[3].n;
		} else {
			t[4].s = "";
			t[4].n = 0;
		}
		nt = 5;
	}
	if (nt < 5)
		return -1;
	dd = t[0];
	mm = t[1];
	yy = t[2];
	tm = t[3];
	tz = t[4];
	if (dd.n == 0 || mm.n == 0 || yy.n == 0)
		return -1;
	if ((month = month_of(mm)) == 0) {
		struct tok x = dd;

		dd = mm;
		mm = x;
		if ((month = month_of(mm)) == 0)
			return -1;
	}
	if (dd.n > 0 && dd.s[dd.n - 1] == ',')
		dd.n--;
	if (memchr(yy.s, ':', yy.n) != NULL && yy.s[0] != ':') {
		struct tok x = yy;

		yy = tm;
		tm = x;
	}
	if (yy.n == 0)
		return -1;	/* the reference raises IndexError */
	if (yy.s[yy.n - 1] == ',') {
		yy.n--;
		if (yy.n == 0)
			return -1;
	}
	if (!(yy.s[0] >= '0' && yy.s[0] <= '9')) {
		struct tok x = yy;

		yy = tz;
		tz = x;
	}
	if (tm.n == 0)
		return -1;
	if (tm.s[tm.n - 1] == ',')
		tm.n--;
	/* hh:mm[:ss], or with dots */
	{
		for (np = 0, c = tm.s, i = 0; i <= tm.n; i++) {
			if (i == tm.n || tm.s[i] == ':') {
				if (np < 3) {
					parts[np].s = c;
					parts[np].n = (size_t)(tm.s + i - c);
				}
				np++;
				c = tm.s + i + 1;
			}
		}
		if (np == 1 && memchr(tm.s, '.', tm.n) != NULL) {
			for (np = 0, c = tm.s, i = 0; i <= tm.n; i++) {
				if (i == tm.n || tm.s[i] == '.') {
					if (np < 3) {
						parts[np].s = c;
						parts[np].n = (size_t)(tm.s + i - c);
					}
					np++;
					c = tm.s + i + 1;
				}
			}
		}
		if (np == 2) {
			parts[2].s = "0";
			parts[2].n = 1;
		} else if (np != 3)
			return -1;
	}
	if (tok_int(yy, &year) != 0 || tok_int(dd, &day) != 0 ||
	    tok_int(parts[0], &hh) != 0 || tok_int(parts[1], &mi) != 0 ||
	    tok_int(parts[2], &ss) != 0)
		return -1;
	if (year < 100)
		year += year > 68 ? 1900 : 2000;
	/* the zone: a name, or an integer like +0100 */
	{
		static const struct {
			const char	*name;
			int		 off;
		} zones[] = {
			{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
			{ "AST", -400 }, { "ADT", -300 }, { "EST", -500 },
			{ "EDT", -400 }, { "CST", -600 }, { "CDT", -500 },
			{ "MST", -700 }, { "MDT", -600 }, { "PST", -800 },
			{ "PDT", -700 },
		};

		for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if (tok_is(tz, zones[i].name)) {
				off = zones[i].off;
				have_off = 1;
				break;
			}
		if (!have_off) {
			switch (tok_int(tz, &v)) {
			case 0:
				off = v;
				have_off = !(v == 0 && tz.s[0] == '-');
				break;
			case -2:
				return -1;	/* out of range anyway */
			}
		}
		if (!have_off)
			off = 0;	/* D2: no zone is UTC */
		if (off != 0) {
			int64_t a = off < 0 ? -off : off;

			a = (a / 100) * 3600 + (a % 100) * 60;
			off = off < 0 ? -a : a;
		}
	}
	/* calendar.timegm() needs a valid year; the result must be a
	 * datetime (years 1 to 9999) */
	if (year < 1 || year > 9999)
		return -1;
	secs = (((days_from_civil(year, month, 1) + day - 1) * 24 + hh) * 60 +
	    mi) * 60 + ss - off;
	if (secs < days_from_civil(1, 1, 1) * 86400 ||
	    secs > days_from_civil(9999, 12, 31) * 86400 + 86399)
		return -1;
	*out = secs;
	return 0;
}

/* ---- The stored header block (§2.6) ------------------------------- */

static void
add_encoded(struct buf *out, const char *s, size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0, n, k;
	int first = 1;

	while (i < len) {
		/* up to 45 bytes, whole characters only */
		n = 0;
		while (i + n < len) {
			size_t cl = 1;

			while (i + n + cl < len &&
			    ((unsigned char)s[i + n + cl] & 0xc0) == 0x80)
				cl++;
			if (n + cl > 45 && n > 0)
				break;
			n += cl;
		}
		if (!first)
			buf_adds(out, "\n ");
		first = 0;
		buf_adds(out, "=?utf-8?b?");
		for (k = 0; k < n; k += 3) {
			unsigned v = (unsigned char)s[i + k] << 16;

			if (k + 1 < n)
				v |= (unsigned char)s[i + k + 1] << 8;
			if (k + 2 < n)
				v |= (unsigned char)s[i + k + 2];
			buf_addc(out, b64[v >> 18 & 63]);
			buf_addc(out, b64[v >> 12 & 63]);
			buf_addc(out, k + 1 < n ? b64[v >> 6 & 63] : '=');
			buf_addc(out, k + 2 < n ? b64[v & 63] : '=');
		}
		buf_adds(out, "?=");
		i += n;
	}
}

void
hdr_block_add(struct buf *out, const char *name, const char *raw, size_t len)
{
	struct buf clean = BUF_INIT;
	size_t i, a = 0, b = len;
	int eight = 0;

	buf_adds(out, name);
	buf_adds(out, ": ");
	while (a < b && (raw[a] == ' ' || raw[a] == '\t'))
		a++;
	while (b > a && (raw[b - 1] == '\n' || raw[b - 1] == '\r'))
		b--;
	for (i = a; i < b; i++)
		if ((unsigned char)raw[i] >= 0x80) {
			eight = 1;
			break;
		}
	if (!eight) {
		size_t run = a;

		/* as it is, but CRLF -> LF (NULs never reach here) */
		for (i = a; i < b; i++)
			if (raw[i] == '\r' && i + 1 < b && raw[i + 1] == '\n') {
				buf_add(out, raw + run, i - run);
				run = i + 1;
			}
		buf_add(out, raw + run, b - run);
		return;
	}
	if (hdr_clean(&clean, raw + a, b - a) < 0) {
		buf_reset(&clean);
		text_add_lossy(&clean, raw + a, b - a);
	}
	add_encoded(out, clean.s, clean.len);
	buf_release(&clean);
}
