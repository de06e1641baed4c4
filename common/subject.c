/*
 * Subject parsing, spec §5.  The reference does this with a handful of
 * Python regexes; they are simple enough to hand-code, which keeps this
 * off the PCRE2 path for every mail.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "rx.h"
#include "subject.h"
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

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int
to_int(const char *d, size_t n)
{
	long long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		v = v * 10 + (d[i] - '0');
		if (v > INT_MAX)
			return INT_MAX;
	}
	return (int)v;
}

/* Length of "re"/"fw"/"fwd" + [:\s] + \s* at the start of s, or 0. */
static size_t
re_prefix(const char *s, size_t len, int reply_only)
{
	static const char *const words[] = { "re", "fwd", "fw" };
	size_t i, k, n, sp;

	for (i = 0; i < (reply_only ? 1 : 3); i++) {
		k = strlen(words[i]);
		if (len < k + 1 || strncasecmp(s, words[i], k) != 0)
			continue;
		if (s[k] == ':')
			n = k + 1;
		else if ((sp = text_space_len(s + k, len - k)) > 0)
			n = k + sp;
		else
			continue;
		while (n < len && (sp = text_space_len(s + n, len - n)) > 0)
			n += sp;
		return n;
	}
	return 0;
}

static void
add_prefix(struct subject *sj, const char *t, size_t n, const char *linkname)
{
	if (n == 5 && strncasecmp(t, "patch", 5) == 0)
		return;
	if (linkname != NULL && strlen(linkname) == n &&
	    strncasecmp(t, linkname, n) == 0)
		return;
	sj->prefixes = grow1(sj->prefixes, sj->nprefixes,
	    sizeof(*sj->prefixes));
	sj->prefixes[sj->nprefixes++] = xstrndup(t, n);
}

/* split_prefixes() of the reference, then the drop list */
static void
split_prefixes(struct subject *sj, const char *p, size_t len,
    const char *linkname)
{
	size_t i = 0, j, a, b, sp;

	/* ^PATCH (\d+ of \d+)(.*)$, case-sensitive: Mercurial's marker */
	if (len > 6 && memcmp(p, "PATCH ", 6) == 0) {
		i = 6;
		a = i;
		while (i < len && isdig(p[i]))
			i++;
		if (i > a && len - i > 4 && memcmp(p + i, " of ", 4) == 0 &&
		    isdig(p[i + 4])) {
			i += 4;
			while (i < len && isdig(p[i]))
				i++;
			add_prefix(sj, "PATCH", 5, linkname);
			add_prefix(sj, p + a, i - a, linkname);
			p += i;
			len -= i;
		}
		i = 0;
	}
	/* re.split(r'[,\s]+'), empty tokens dropped */
	while (i < len) {
		while (i < len) {
			if (p[i] == ',')
				i++;
			else if ((sp = text_space_len(p + i, len - i)) > 0)
				i += sp;
			else
				break;
		}
		j = i;
		while (j < len && p[j] != ',' && text_space_len(p + j, len - j) == 0)
			j++;
		b = j;
		if (b > i)
			add_prefix(sj, p + i, b - i, linkname);
		i = j;
	}
}

/* .*?([0-9]+)(?:/| of )([0-9]+)$ on one prefix */
static int
marker_of(const char *t, int *x, int *n)
{
	size_t len = strlen(t), e = len, s2, s1;

	while (e > 0 && isdig(t[e - 1]))
		e--;
	if (e == len)
		return 0;
	s2 = e;
	if (e >= 1 && t[e - 1] == '/')
		e -= 1;
	else if (e >= 4 && memcmp(t + e - 4, " of ", 4) == 0)
		e -= 4;
	else
		return 0;
	s1 = e;
	while (s1 > 0 && isdig(t[s1 - 1]))
		s1--;
	if (s1 == e)
		return 0;
	*x = to_int(t + s1, e - s1);
	*n = to_int(t + s2, len - s2);
	return 1;
}

static int
version_of(const struct subject *sj)
{
	const char *t, *p;
	size_t i, n;

	for (i = 0; i < sj->nprefixes; i++) {
		t = sj->prefixes[i];
		if ((t[0] == 'v' || t[0] == 'V') && isdig(t[1])) {
			for (n = 1; isdig(t[n]); n++)
				;
			if (t[n] == '\0')
				return to_int(t + 1, n - 1);
		}
	}
	/* re.search(r'\([vV](\d+)\)', name) */
	for (p = sj->name; (p = strchr(p, '(')) != NULL; p++) {
		if ((p[1] == 'v' || p[1] == 'V') && isdig(p[2])) {
			for (n = 2; isdig(p[n]); n++)
				;
			if (p[n] == ')')
				return to_int(p + 2, n - 2);
		}
	}
	return 1;
}

void
subject_parse(struct subject *sj, const char *clean, size_t len,
    const char *linkname)
{
	struct buf work = BUF_INIT, name = BUF_INIT;
	const char *s, *close;
	size_t rest, n, i, sp;

	memset(sj, 0, sizeof(*sj));
	sj->reply = re_prefix(clean, len, 1) > 0;
	/* one leading Re:/Fw:/Fwd: goes (replaced by a space), collapse */
	n = re_prefix(clean, len, 0);
	text_add_collapsed(&work, clean + n, len - n);

	s = work.s;
	rest = work.len;
	/* ^\[([^\]]*)\]\s*(.*)$ while it matches */
	while (rest > 0 && s[0] == '[' &&
	    (close = memchr(s, ']', rest)) != NULL) {
		split_prefixes(sj, s + 1, (size_t)(close - s - 1), linkname);
		n = (size_t)(close - s) + 1;
		while (n < rest && (sp = text_space_len(s + n, rest - n)) > 0)
			n += sp;
		s += n;
		rest -= n;
	}
	if (sj->nprefixes > 0) {
		buf_addc(&name, '[');
		for (i = 0; i < sj->nprefixes; i++) {
			if (i > 0)
				buf_addc(&name, ',');
			buf_adds(&name, sj->prefixes[i]);
		}
		buf_adds(&name, "] ");
	}
	text_add_collapsed(&name, s, rest);
	sj->name = buf_detach(&name, NULL);
	buf_release(&work);

	for (i = 0; i < sj->nprefixes; i++)
		if (marker_of(sj->prefixes[i], &sj->x, &sj->n)) {
			sj->has_marker = 1;
			break;
		}
	sj->version = version_of(sj);
}

void
subject_release(struct subject *sj)
{
	size_t i;

	for (i = 0; i < sj->nprefixes; i++)
		free(sj->prefixes[i]);
	free(sj->prefixes);
	free(sj->name);
	memset(sj, 0, sizeof(*sj));
}

char *
subject_series_name(const char *name)
{
	const char *close;
	size_t len = strlen(name), n, sp;

	if (name[0] != '[' || (close = strchr(name, ']')) == NULL ||
	    memchr(name, '\n', (size_t)(close - name)) != NULL)
		return xstrdup(name);
	n = (size_t)(close - name) + 1;
	while (n < len && (sp = text_space_len(name + n, len - n)) > 0)
		n += sp;
	return xstrdup(name + n);
}

int
subject_match(const char *pattern, const char *subject)
{
	struct rx *r;
	int m;

	r = rx_compile(pattern, RX_ICASE | RX_MULTILINE, NULL, 0);
	if (r == NULL)
		return -1;
	m = rx_match(r, subject, strlen(subject), 0, 0, NULL, 0) > 0;
	rx_free(r);
	return m;
}
