/*
 * JSON output helpers over json-c; the contract is in json.h.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "json.h"

void
json_add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key,
	    v != NULL ? json_object_new_string(v) : NULL);
}

void
json_add_strn(struct json_object *o, const char *key, const char *v,
    size_t n)
{
	json_object_object_add(o, key,
	    v != NULL ? json_object_new_string_len(v, (int)n) : NULL);
}

void
json_add_i64(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void
json_add_bool(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_boolean(v != 0));
}

void
json_add_null(struct json_object *o, const char *key)
{
	json_object_object_add(o, key, NULL);
}

/*
 * Format microseconds since the epoch (UTC) as Django prints a naive
 * datetime: "YYYY-MM-DDTHH:MM:SS", plus ".ffffff" only when the
 * microseconds are not zero.  Returns the length, or -1 if out of range.
 */
int
json_format_time(char out[32], int64_t usec)
{
	struct tm tm;
	time_t t;
	int64_t sec = usec / 1000000, frac = usec % 1000000;
	int n;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (frac != 0)
		n += snprintf(out + n, 32 - (size_t)n, ".%06" PRId64, frac);
	return n;
}

/* usec since the epoch, UTC; JSON_TIME_NULL gives null. */
void
json_add_time(struct json_object *o, const char *key, int64_t usec)
{
	char s[32];
	int n;

	if (usec == JSON_TIME_NULL || (n = json_format_time(s, usec)) < 0) {
		json_add_null(o, key);
		return;
	}
	json_add_strn(o, key, s, (size_t)n);
}

/*
 * A PostgreSQL timestamp as text ("2024-01-02 03:04:05.5", UTC session
 * time zone, any "+00" offset ignored) in Django's format: "T" separator,
 * six fraction digits or none.  NULL gives null; text that does not look
 * like a timestamp is passed through.
 */
void
json_add_pgtime(struct json_object *o, const char *key, const char *pg)
{
	char s[32];
	size_t i, n;

	if (pg == NULL) {
		json_add_null(o, key);
		return;
	}
	if (strlen(pg) < 19 || pg[4] != '-' || pg[10] != ' ' ||
	    pg[13] != ':' || pg[16] != ':') {
		json_add_str(o, key, pg);
		return;
	}
	memcpy(s, pg, 19);
	s[10] = 'T';
	n = 19;
	if (pg[19] == '.') {
		int nonzero = 0;

		s[n++] = '.';
		for (i = 20; i < 26; i++) {
			if (pg[i] >= '0' && pg[i] <= '9') {
				nonzero |= pg[i] != '0';
				s[n++] = pg[i];
			} else
				break;
		}
		while (i++ < 26)
			s[n++] = '0';
		if (!nonzero)
			n = 19;
	}
	json_add_strn(o, key, s, n);
}

/* Bytes json_escape() must look at: controls, '"', '\\', and 0xe2
 * (which starts U+2028 and U+2029). */
static const unsigned char json_special[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0xe2] = 1,
};

/* Append the inside of a JSON string literal holding s[0..n). */
void
json_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	const unsigned char *run = p;
	char esc[8];

	buf_grow(b, n);
	for (; p < e; p++) {
		const char *rep = NULL;

		if (!json_special[*p])
			continue;	/* most bytes: one table look-up */

		switch (*p) {
		case '"':	rep = "\\\""; break;
		case '\\':	rep = "\\\\"; break;
		case '\n':	rep = "\\n"; break;
		case '\r':	rep = "\\r"; break;
		case '\t':	rep = "\\t"; break;
		case '\b':	rep = "\\b"; break;
		case '\f':	rep = "\\f"; break;
		case 0xe2:
			if (e - p >= 3 && p[1] == 0x80 &&
			    (p[2] == 0xa8 || p[2] == 0xa9))
				rep = p[2] == 0xa8 ? "\\u2028" : "\\u2029";
			break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				rep = esc;
			}
		}
		if (rep == NULL)
			continue;
		buf_add(b, run, (size_t)(p - run));
		buf_adds(b, rep);
		if (*p == 0xe2)
			p += 2;
		run = p + 1;
	}
	buf_add(b, run, (size_t)(p - run));
}

/* Append s as a JSON string literal, quotes included. */
void
json_quote(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	json_escape(b, s, n);
	buf_addc(b, '"');
}

/* Serialise o into b, escaping U+2028/U+2029 as DRF does. */
void
json_write(struct buf *b, struct json_object *o)
{
	const char *s, *p, *e, *run;
	size_t n;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	buf_grow(b, n);
	for (run = p = s, e = s + n; p + 2 < e; p++) {
		if ((unsigned char)p[0] != 0xe2 || (unsigned char)p[1] != 0x80 ||
		    ((unsigned char)p[2] != 0xa8 && (unsigned char)p[2] != 0xa9))
			continue;
		buf_add(b, run, (size_t)(p - run));
		buf_adds(b, (unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029");
		p += 2;
		run = p + 1;
	}
	buf_add(b, run, (size_t)(e - run));
}
