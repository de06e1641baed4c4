#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"
#include "xalloc.h"

/* Enough for any sane pattern on a mail; stops catastrophic backtracking. */
#define RX_MATCH_LIMIT	2000000
#define RX_DEPTH_LIMIT	100000

struct rx {
	pcre2_code		*code;
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
};

struct rx *
rx_compile(const char *pattern, enum rx_flags flags, char *errmsg,
    size_t errlen)
{
	pcre2_compile_context *cc;
	struct rx *r;
	uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_CIRCUMFLEX;
	PCRE2_SIZE erroff;
	int err;

	if (flags & RX_ICASE)
		opt |= PCRE2_CASELESS;
	if (flags & RX_MULTILINE)
		opt |= PCRE2_MULTILINE;
	if (flags & RX_DOTALL)
		opt |= PCRE2_DOTALL;
	if (flags & RX_ANCHORED)
		opt |= PCRE2_ANCHORED;
	cc = pcre2_compile_context_create(NULL);
	if (cc == NULL)
		xmalloc((size_t)-1);	/* aborts */
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	r = xcalloc(1, sizeof(*r));
	r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opt,
	    &err, &erroff, cc);
	pcre2_compile_context_free(cc);
	if (r->code == NULL) {
		if (errmsg != NULL && errlen > 0) {
			PCRE2_UCHAR msg[160];

			pcre2_get_error_message(err, msg, sizeof(msg));
			snprintf(errmsg, errlen, "%s at offset %zu",
			    (char *)msg, (size_t)erroff);
		}
		free(r);
		return NULL;
	}
	(void)pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
	r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
	r->mc = pcre2_match_context_create(NULL);
	if (r->md == NULL || r->mc == NULL)
		xmalloc((size_t)-1);
	pcre2_set_match_limit(r->mc, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, RX_DEPTH_LIMIT);
	return r;
}

void
rx_free(struct rx *r)
{
	if (r == NULL)
		return;
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
	pcre2_code_free(r->code);
	free(r);
}

static int
do_match(struct rx *r, const char *s, size_t len, size_t start, uint32_t opt)
{
	if (start > len)
		return 0;
	return pcre2_match(r->code, (PCRE2_SPTR)s, len, start, opt, r->md,
	    r->mc);
}

int
rx_match(struct rx *r, const char *s, size_t len, size_t start,
    enum rx_flags flags, size_t *ov, int nov)
{
	PCRE2_SIZE *o;
	uint32_t opt = 0, n;
	int rc, i;

	if (flags & RX_ANCHORED)
		opt |= PCRE2_ANCHORED;
	rc = do_match(r, s, len, start, opt);
	if (rc <= 0)
		return 0;
	o = pcre2_get_ovector_pointer(r->md);
	n = pcre2_get_ovector_count(r->md);
	for (i = 0; ov != NULL && i < nov; i++) {
		if ((uint32_t)i < n && i < rc && o[2 * i] != PCRE2_UNSET) {
			ov[2 * i] = o[2 * i];
			ov[2 * i + 1] = o[2 * i + 1];
		} else
			ov[2 * i] = ov[2 * i + 1] = RX_UNSET;
	}
	return rc;
}

size_t
rx_count(struct rx *r, const char *s, size_t len)
{
	PCRE2_SIZE *o;
	size_t count = 0, start = 0;
	uint32_t opt = 0;
	int rc;

	while (start <= len) {
		rc = do_match(r, s, len, start, opt);
		if (rc <= 0)
			break;
		opt = PCRE2_NO_UTF_CHECK;	/* checked on the first call */
		count++;
		o = pcre2_get_ovector_pointer(r->md);
		if (o[1] > o[0]) {
			start = o[1];
			continue;
		}
		/* empty match: a non-empty one may still start here */
		start = o[1];
		rc = do_match(r, s, len, start,
		    opt | PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED);
		if (rc > 0) {
			count++;
			o = pcre2_get_ovector_pointer(r->md);
			start = o[1];
			continue;
		}
		if (start >= len)
			break;
		start++;
		while (start < len && ((unsigned char)s[start] & 0xc0) == 0x80)
			start++;
	}
	return count;
}
