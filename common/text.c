/*
 * Python str semantics over UTF-8: whitespace, strip, collapse, lossy
 * decoding and the charset fallbacks of the mail parser.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "text.h"

int
text_isspace(uint32_t c)
{
	if (c < 0x80)
		return c == ' ' || (c >= '\t' && c <= '\r') ||
		    (c >= 0x1c && c <= 0x1f);
	return c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t
u8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return len >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = 0x80, hi = 0xbf;

		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
		return len >= 3 && s[1] >= lo && s[1] <= hi &&
		    (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = 0x80, hi = 0xbf;

		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		return len >= 4 && s[1] >= lo && s[1] <= hi &&
		    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

size_t
u8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;

	if (len == 0) {
		*cp = 0;
		return 0;
	}
	n = u8_seq(u, len);
	switch (n) {
	case 1:
		*cp = u[0];
		return 1;
	case 2:
		*cp = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
		return 2;
	case 3:
		*cp = (uint32_t)(u[0] & 0x0f) << 12 |
		    (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
		return 3;
	case 4:
		*cp = (uint32_t)(u[0] & 0x07) << 18 |
		    (uint32_t)(u[1] & 0x3f) << 12 |
		    (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
		return 4;
	}
	*cp = 0xfffd;
	return 1;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		/* ASCII runs eight bytes at a time */
		while (i + 8 <= len) {
			uint64_t w;

			memcpy(&w, u + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = u8_seq(u + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

static void
add_cp(struct buf *b, uint32_t c)
{
	char t[4];

	if (c < 0x80) {
		buf_addc(b, (int)c);
	} else if (c < 0x800) {
		t[0] = (char)(0xc0 | c >> 6);
		t[1] = (char)(0x80 | (c & 0x3f));
		buf_add(b, t, 2);
	} else if (c < 0x10000) {
		t[0] = (char)(0xe0 | c >> 12);
		t[1] = (char)(0x80 | (c >> 6 & 0x3f));
		t[2] = (char)(0x80 | (c & 0x3f));
		buf_add(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | c >> 18);
		t[1] = (char)(0x80 | (c >> 12 & 0x3f));
		t[2] = (char)(0x80 | (c >> 6 & 0x3f));
		t[3] = (char)(0x80 | (c & 0x3f));
		buf_add(b, t, 4);
	}
}

void
text_add_lossy(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, n;

	buf_grow(b, len);
	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = u8_seq(u + i, len - i)) != 0) {
			i += n;
			continue;
		}
		buf_add(b, s + start, i - start);
		buf_add(b, "\xef\xbf\xbd", 3);
		start = ++i;
	}
	buf_add(b, s + start, len - start);
}

size_t
text_space_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	if (len == 0)
		return 0;
	if (u[0] < 0x80)
		return text_isspace(u[0]) ? 1 : 0;
	if (u[0] != 0xc2 && u[0] != 0xe1 && u[0] != 0xe2 && u[0] != 0xe3)
		return 0;
	n = u8_next(s, len, &c);
	return text_isspace(c) ? n : 0;
}

size_t
text_space_len_back(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (len == 0)
		return 0;
	if (u[len - 1] < 0x80)
		return text_isspace(u[len - 1]) ? 1 : 0;
	/* find the lead byte of the last sequence (at most 4 back) */
	for (i = len; i > 0 && len - i < 4; ) {
		i--;
		if ((u[i] & 0xc0) != 0x80)
			break;
	}
	if (text_space_len(s + i, len - i) == len - i)
		return len - i;
	return 0;
}

void
text_strip(const char *s, size_t *start, size_t *end)
{
	size_t n;

	while (*start < *end &&
	    (n = text_space_len(s + *start, *end - *start)) > 0)
		*start += n;
	while (*end > *start &&
	    (n = text_space_len_back(s + *start, *end - *start)) > 0)
		*end -= n;
}

void
text_add_collapsed(struct buf *b, const char *s, size_t len)
{
	size_t i = 0, n, run = 0, base = b->len;
	int pending = 0;

	buf_grow(b, len);
	while (i < len) {
		if ((unsigned char)s[i] > ' ' && (unsigned char)s[i] < 0x80) {
			/* fast path: a run of plain ASCII */
			run = i;
			while (i < len && (unsigned char)s[i] > ' ' &&
			    (unsigned char)s[i] < 0x80)
				i++;
			if (pending && b->len > base)
				buf_addc(b, ' ');
			pending = 0;
			buf_add(b, s + run, i - run);
			continue;
		}
		if ((n = text_space_len(s + i, len - i)) > 0) {
			pending = 1;
			i += n;
			continue;
		}
		if (s[i] == '\0') {
			i++;
			continue;
		}
		if (pending && b->len > base)
			buf_addc(b, ' ');
		pending = 0;
		n = 1;
		while (i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n++;
		buf_add(b, s + i, n);
		i += n;
	}
}

void
text_add_nonul(struct buf *b, const char *s, size_t len)
{
	const char *z;

	while (len > 0 && (z = memchr(s, '\0', len)) != NULL) {
		buf_add(b, s, (size_t)(z - s));
		len -= (size_t)(z - s) + 1;
		s = z + 1;
	}
	buf_add(b, s, len);
}

size_t
text_prefix_len(const char *s, size_t len, size_t maxcp)
{
	size_t i = 0;

	while (i < len && maxcp > 0) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		maxcp--;
	}
	return i;
}

int
text_istarts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && strncasecmp(s, p, n) == 0;
}

/* windows-1252 bytes 0x80-0x9f; 0 marks the five undefined ones */
static const uint16_t cp1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static int
decode_cp1252(struct buf *b, const char *s, size_t len, int check)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (check) {
		for (i = 0; i < len; i++)
			if (u[i] >= 0x80 && u[i] < 0xa0 && cp1252[u[i] - 0x80] == 0)
				return -1;
		return 0;
	}
	buf_grow(b, len + len / 2);
	for (i = 0; i < len; i++) {
		if (u[i] < 0x80)
			buf_addc(b, u[i]);
		else if (u[i] < 0xa0)
			add_cp(b, cp1252[u[i] - 0x80]);
		else
			add_cp(b, u[i]);
	}
	return 0;
}

static void
decode_latin1(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	buf_grow(b, len + len / 2);
	for (i = 0; i < len; i++)
		add_cp(b, u[i]);
}

enum cs_kind { CS_OTHER, CS_UTF8, CS_ASCII, CS_LATIN1, CS_CP1252 };

static enum cs_kind
cs_classify(const char *cs)
{
	static const struct {
		const char	*name;
		enum cs_kind	 kind;
	} known[] = {
		{ "utf8", CS_UTF8 }, { "u8", CS_UTF8 },
		{ "usascii", CS_ASCII }, { "ascii", CS_ASCII },
		{ "iso88591", CS_LATIN1 }, { "latin1", CS_LATIN1 },
		{ "l1", CS_LATIN1 }, { "iso885911987", CS_LATIN1 },
		{ "cp1252", CS_CP1252 }, { "windows1252", CS_CP1252 },
	};
	char n[32];
	size_t i, j = 0;

	for (i = 0; cs[i] != '\0'; i++) {
		char c = cs[i];

		if (c == '-' || c == '_' || c == ' ')
			continue;
		if (j + 1 >= sizeof(n))
			return CS_OTHER;
		n[j++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	n[j] = '\0';
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(n, known[i].name) == 0)
			return known[i].kind;
	return CS_OTHER;
}

/* 0 decoded, -1 invalid input, 1 unknown charset */
static int
decode_iconv(struct buf *b, const char *cs, const char *in, size_t len)
{
	iconv_t cd;
	char *ip = (char *)in, *op;
	size_t il = len, ol, base = b->len, r;
	int rc = -1;

	/* no "//TRANSLIT" and the like from a mail, and no absurd names */
	if (strchr(cs, '/') != NULL || strlen(cs) > 64 || *cs == '\0')
		return 1;
	cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return 1;
	for (;;) {
		buf_grow(b, il * 2 + 16);
		op = b->s + b->len;
		ol = b->cap - b->len;
		r = iconv(cd, il ? &ip : NULL, il ? &il : NULL, &op, &ol);
		b->len = (size_t)(op - b->s);
		if (r != (size_t)-1) {
			if (il == 0) {
				/* flush shift state */
				buf_grow(b, 16);
				op = b->s + b->len;
				ol = b->cap - b->len;
				if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
					break;
				b->len = (size_t)(op - b->s);
				rc = 0;
				break;
			}
			continue;
		}
		if (errno != E2BIG)
			break;
	}
	iconv_close(cd);
	if (rc == 0 && !utf8_valid(b->s + base, b->len - base))
		rc = -1;
	if (rc != 0)
		buf_setlen(b, base);
	else
		b->s[b->len] = '\0';
	return rc;
}

int
charset_decode_exact(struct buf *b, const char *cs, const char *in, size_t len)
{
	size_t i;

	switch (cs_classify(cs)) {
	case CS_UTF8:
		if (!utf8_valid(in, len))
			return -1;
		buf_add(b, in, len);
		return 0;
	case CS_ASCII:
		for (i = 0; i < len; i++)
			if ((unsigned char)in[i] >= 0x80)
				return -1;
		buf_add(b, in, len);
		return 0;
	case CS_LATIN1:
		decode_latin1(b, in, len);
		return 0;
	case CS_CP1252:
		if (decode_cp1252(b, in, len, 1) < 0)
			return -1;
		decode_cp1252(b, in, len, 0);
		return 0;
	case CS_OTHER:
		break;
	}
	return decode_iconv(b, cs, in, len);
}

int
charset_decode(struct buf *b, const char *cs, const char *in, size_t len)
{
	if (cs != NULL) {
		switch (charset_decode_exact(b, cs, in, len)) {
		case 0:
			return 0;
		case -1:
			return -1;
		}
		/* unknown: the fallbacks */
	}
	if (utf8_valid(in, len)) {
		buf_add(b, in, len);
		return 0;
	}
	if (decode_cp1252(b, in, len, 1) == 0) {
		decode_cp1252(b, in, len, 0);
		return 0;
	}
	decode_latin1(b, in, len);
	return 0;
}
