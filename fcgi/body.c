/*
 * Request bodies of API writes (REST spec 2.4), read the way Django REST
 * framework reads them.
 *
 * Three media types: application/json (a depth-limited, strict json-c
 * parse that also checks UTF-8), application/x-www-form-urlencoded and
 * multipart/form-data (fields only; uploaded files are ignored, as they
 * land in DRF's request.FILES).  Anything else is a 415.  Form bytes that
 * are not UTF-8 are replaced by U+FFFD, as Django decodes them; a JSON
 * body that is not UTF-8 is a parse error, as in DRF.
 *
 * Every value a handler takes goes through a typed getter that applies
 * the rules of the DRF field it stands for (BooleanField, CharField,
 * PrimaryKeyRelatedField, ...) and records DRF's message under the
 * field's name in an error object, so that all field errors of a request
 * are reported together, in one 400.  Unknown keys are never looked at,
 * so they are ignored, as Django ignores them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "log.h"
#include "pwfcgi.h"

#define BODY_JSON_DEPTH		16

static void
put_json(void *p)
{
	json_object_put(p);
}

/* Valid UTF-8 copy of s[0..n), invalid sequences as U+FFFD. */
static char *
utf8_fix(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = arena_alloc(a, 3 * n + 1), *w = out;
	size_t i = 0, k, len;
	unsigned c;

	while (i < n) {
		c = p[i];
		len = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 :
		    (c >= 0xe0 && c <= 0xef) ? 3 :
		    (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
		for (k = 1; len > 1 && k < len; k++) {
			if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
				break;
			if (k == 1 && ((c == 0xe0 && p[i + 1] < 0xa0) ||
			    (c == 0xed && p[i + 1] > 0x9f) ||
			    (c == 0xf0 && p[i + 1] < 0x90) ||
			    (c == 0xf4 && p[i + 1] > 0x8f)))
				break;
		}
		if (len == 0 || k < len) {
			memcpy(w, "\xef\xbf\xbd", 3);
			w += 3;
			i += len == 0 ? 1 : k;
			continue;
		}
		memcpy(w, p + i, len);
		w += len;
		i += len;
	}
	*w = '\0';
	*outlen = (size_t)(w - out);
	return out;
}

/* Add one decoded form field. */
static void
form_add(struct req *r, struct body *b, const char *k, size_t klen,
    const char *v, size_t vlen)
{
	struct body_field *f;
	size_t n;

	if (memchr(k, '\0', klen) != NULL)
		return;		/* a key no field has */
	if (b->nfields == b->capfields) {
		struct body_field *nf;

		b->capfields = b->capfields ? 2 * b->capfields : 16;
		nf = ARENA_NEW(r->arena, struct body_field, b->capfields);
		if (b->nfields > 0)
			memcpy(nf, b->fields, b->nfields * sizeof(*nf));
		b->fields = nf;
	}
	f = &b->fields[b->nfields++];
	f->key = utf8_fix(r->arena, k, klen, &n);
	f->val = utf8_fix(r->arena, v, vlen, &f->len);
}

static void
parse_urlencoded(struct req *r, struct body *b)
{
	char *copy, *p, *e, *eq;
	size_t klen, vlen;

	copy = arena_strndup(r->arena, r->body, r->body_len);
	for (p = copy; p != NULL; p = e) {
		if ((e = strchr(p, '&')) != NULL)
			*e++ = '\0';
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		else
			eq = p + strlen(p);
		klen = url_decode(p, 1);
		vlen = url_decode(eq, 1);
		form_add(r, b, p, klen, eq, vlen);
	}
}

/* A Content-Type parameter's value (quotes removed), or NULL. */
static char *
ctype_param(struct req *r, const char *ct, const char *name)
{
	const char *p = ct, *v, *e;
	size_t n = strlen(name);

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, n) != 0 || p[n] != '=')
			continue;
		v = p + n + 1;
		if (*v == '"') {
			v++;
			e = strchr(v, '"');
		} else
			e = v + strcspn(v, "; \t");
		if (e == NULL)
			return NULL;
		return arena_strndup(r->arena, v, (size_t)(e - v));
	}
	return NULL;
}

static const char *
memfind(const char *h, size_t hn, const char *n, size_t nn)
{
	return memmem(h, hn, n, nn);
}

/*
 * multipart/form-data (RFC 7578): fields only.  0, or -1 when the body
 * is not multipart at all (DRF: "Multipart form parse error").
 */
static int
parse_multipart(struct req *r, struct body *b)
{
	const char *bound, *p, *end, *next, *hend, *h, *name, *q;
	char *delim;
	size_t dlen;

	if ((bound = ctype_param(r, r->content_type, "boundary")) == NULL ||
	    *bound == '\0' || strlen(bound) > 200)
		return -1;
	delim = arena_printf(r->arena, "--%s", bound);
	dlen = strlen(delim);
	end = r->body + r->body_len;
	if ((p = memfind(r->body, r->body_len, delim, dlen)) == NULL)
		return -1;
	for (;;) {
		p += dlen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;		/* the closing delimiter */
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (p < end && *p == '\n')
			p++;
		else
			return -1;
		hend = memfind(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL)
			return -1;
		next = memfind(hend + 4, (size_t)(end - hend - 4), delim, dlen);
		if (next == NULL)
			return -1;
		/* The part's headers: the name, and no filename. */
		name = NULL;
		for (h = p; h < hend; h = q + 2) {
			const char *line = h, *nm;
			size_t ll;

			q = memfind(h, (size_t)(hend + 2 - h), "\r\n", 2);
			if (q == NULL)
				q = hend;
			ll = (size_t)(q - line);
			if (ll < 20 || strncasecmp(line,
			    "content-disposition:", 20) != 0)
				continue;
			line = arena_strndup(r->arena, line, ll);
			if (strstr(line, "filename=") != NULL) {
				name = NULL;
				break;
			}
			if ((nm = strstr(line, "name=\"")) != NULL) {
				const char *e;

				nm += 6;
				if ((e = strchr(nm, '"')) != NULL)
					name = arena_strndup(r->arena, nm,
					    (size_t)(e - nm));
			}
		}
		if (name != NULL) {
			const char *v = hend + 4;
			size_t vlen = (size_t)(next - v);

			if (vlen >= 2 && v[vlen - 2] == '\r' &&
			    v[vlen - 1] == '\n')
				vlen -= 2;
			form_add(r, b, name, strlen(name), v, vlen);
		}
		p = next;
	}
}

/* The media type (before ';'), trimmed and lower-cased. */
static char *
media_type(struct req *r)
{
	const char *ct = r->content_type != NULL ? r->content_type : "";
	size_t n = strcspn(ct, ";");
	char *m, *p;

	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	m = arena_strndup(r->arena, ct, n);
	for (p = m; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return m;
}

/* DRF's media type match, wildcards included ("*\/\*" picks JSON). */
static int
mt_match(const char *req, const char *parser)
{
	const char *rs = strchr(req, '/'), *ps = strchr(parser, '/');
	size_t rmain, pmain;

	if (rs == NULL)
		return 0;
	rmain = (size_t)(rs - req);
	pmain = (size_t)(ps - parser);
	if (strcmp(rs + 1, "*") != 0 && strcmp(rs + 1, ps + 1) != 0)
		return 0;
	if (!(rmain == 1 && req[0] == '*') &&
	    (rmain != pmain || memcmp(req, parser, pmain) != 0))
		return 0;
	return 1;
}

/* NaN or an infinity anywhere in v (Python's strict JSON refuses them). */
static int
nonfinite(struct json_object *v)
{
	size_t i, n;
	double d;

	switch (json_object_get_type(v)) {
	case json_type_double:
		d = json_object_get_double(v);
		return d != d || d > 1.7976931348623157e308 ||
		    d < -1.7976931348623157e308;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (nonfinite(json_object_array_get_idx(v, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, k, val) {
			(void)k;
			if (nonfinite(val))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int
hexval(const char *s, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		*v = *v << 4 | (unsigned)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return 0;
}

/*
 * The offset of the first \u escape in a (well-formed) JSON text that is
 * half of a surrogate pair without its other half, or -1.  json-c turns
 * those into U+FFFD; Python keeps them, and a string holding one cannot
 * be stored (Django answers 500), so they are refused up front.
 */
static long
lone_surrogate(const char *s, size_t n, unsigned *cp)
{
	size_t i;
	unsigned v, w;
	int in = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			in = !in;
			continue;
		}
		if (!in || s[i] != '\\')
			continue;
		if (i + 1 < n && s[i + 1] != 'u') {
			i++;
			continue;
		}
		if (i + 6 > n || hexval(s + i + 2, &v) == -1)
			return -1;	/* cannot happen after a parse */
		if (v >= 0xdc00 && v <= 0xdfff)
			goto lone;
		if (v >= 0xd800 && v <= 0xdbff) {
			if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			    hexval(s + i + 8, &w) == -1 ||
			    w < 0xdc00 || w > 0xdfff)
				goto lone;
			i += 6;
		}
		i += 5;
		continue;
lone:
		*cp = v;
		return (long)i;
	}
	return -1;
}

static int
parse_json(struct req *r, struct body *b)
{
	long at;
	unsigned cp;
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error err;
	size_t end;

	if (r->body_len == 0) {
		b->obj = json_object_new_object();
		arena_defer(r->arena, put_json, b->obj);
		return 0;
	}
	tok = json_tokener_new_ex(BODY_JSON_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o != NULL)
		arena_defer(r->arena, put_json, o);
	if (err == json_tokener_continue)
		return resp_error(r, 400, "JSON parse error - unexpected end "
		    "of data");
	if (err != json_tokener_success)
		return resp_error(r, 400, arena_printf(r->arena,
		    "JSON parse error - %s at offset %zu",
		    json_tokener_error_desc(err), end));
	for (; end < r->body_len; end++)
		if (strchr(" \t\r\n", r->body[end]) == NULL ||
		    r->body[end] == '\0')
			return resp_error(r, 400, arena_printf(r->arena,
			    "JSON parse error - extra data at offset %zu",
			    end));
	if (o != NULL && nonfinite(o))
		return resp_error(r, 400, "JSON parse error - Out of range "
		    "float values are not JSON compliant");
	if (memmem(r->body, r->body_len, "\\u", 2) != NULL &&
	    (at = lone_surrogate(r->body, r->body_len, &cp)) >= 0)
		return resp_error(r, 400, arena_printf(r->arena,
		    "JSON parse error - lone surrogate \\u%04x at offset %ld",
		    cp, at));
	if (!json_object_is_type(o, json_type_object)) {
		static const char *const names[] = {
			[json_type_null] = "NoneType",
			[json_type_boolean] = "bool",
			[json_type_double] = "float",
			[json_type_int] = "int",
			[json_type_object] = "dict",
			[json_type_array] = "list",
			[json_type_string] = "str",
		};
		struct json_object *errs = NULL;

		verr_add(r, &errs, "detail", o == NULL ? "No data provided" :
		    arena_printf(r->arena, "Invalid data. Expected a "
		    "dictionary, but got %s.", names[json_object_get_type(o)]));
		return verr_send(r, errs);
	}
	b->obj = o;
	return 0;
}

int
body_parse(struct req *r, struct body *b)
{
	const char *mt;

	memset(b, 0, sizeof(*b));
	mt = media_type(r);
	if (r->body_len == 0 && r->content_type == NULL) {
		b->form = 1;	/* DRF: no body, no type: empty data */
		return 0;
	}
	if (mt_match(mt, "application/json"))
		return parse_json(r, b);
	if (mt_match(mt, "application/x-www-form-urlencoded")) {
		b->form = 1;
		if (r->body_len > 0)
			parse_urlencoded(r, b);
		return 0;
	}
	if (mt_match(mt, "multipart/form-data")) {
		b->form = 1;
		if (r->body_len > 0 && parse_multipart(r, b) == -1)
			return resp_error(r, 400, "Multipart form parse "
			    "error - Invalid boundary in multipart: None");
		return 0;
	}
	return resp_error(r, 415, arena_printf(r->arena,
	    "Unsupported media type \"%s\" in request.",
	    r->content_type != NULL ? r->content_type : ""));
}

/* Errors ------------------------------------------------------------ */

void
verr_add(struct req *r, struct json_object **errs, const char *field,
    const char *msg)
{
	struct json_object *list;

	if (*errs == NULL) {
		*errs = json_object_new_object();
		arena_defer(r->arena, put_json, *errs);
	}
	if (!json_object_object_get_ex(*errs, field, &list)) {
		list = json_object_new_array();
		json_object_object_add(*errs, field, list);
	}
	json_object_array_add(list, json_object_new_string(msg));
}

/* 400 with the collected errors as the body. */
int
verr_send(struct req *r, struct json_object *errs)
{
	buf_reset(&r->out);
	json_write(&r->out, errs);
	r->ctype = "application/json";
	r->error_body = 1;
	return 400;
}

/* Field access ------------------------------------------------------- */

/* The last value of a form key, or NULL. */
static const struct body_field *
form_last(const struct body *b, const char *key)
{
	size_t i = b->nfields;

	while (i-- > 0)
		if (strcmp(b->fields[i].key, key) == 0)
			return &b->fields[i];
	return NULL;
}

size_t
body_form_nested(struct req *r, const struct body *b, const char *name,
    struct body *sub)
{
	size_t i, n = strlen(name);
	const struct body_field *f;

	memset(sub, 0, sizeof(*sub));
	sub->form = 1;
	for (i = 0; b->form && i < b->nfields; i++) {
		f = &b->fields[i];
		if (strncmp(f->key, name, n) != 0 || f->key[n] != '.' ||
		    f->key[n + 1] == '\0' || strchr(f->key + n + 1, '\n'))
			continue;
		form_add(r, sub, f->key + n + 1, strlen(f->key + n + 1),
		    f->val, f->len);
	}
	return sub->nfields;
}

const char *
body_form_value(struct req *r, const char *key)
{
	const struct body_field *f;
	const char *mt = media_type(r);
	struct body b;

	memset(&b, 0, sizeof(b));
	if (r->body_len == 0)
		return NULL;
	/* Django's request.POST: these two types exactly, no wildcards. */
	if (strcmp(mt, "application/x-www-form-urlencoded") == 0)
		parse_urlencoded(r, &b);
	else if (strcmp(mt, "multipart/form-data") != 0 ||
	    parse_multipart(r, &b) == -1)
		return NULL;
	f = form_last(&b, key);
	return f != NULL ? f->val : NULL;
}

int
body_has(const struct body *b, const char *key)
{
	if (b->form)
		return form_last(b, key) != NULL;
	return json_object_object_get_ex(b->obj, key, NULL);
}

struct json_object *
body_json(const struct body *b, const char *key)
{
	struct json_object *v = NULL;

	if (b->form || !json_object_object_get_ex(b->obj, key, &v))
		return NULL;
	return v;
}

static const char *
py_type(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:	return "NoneType";
	case json_type_boolean:	return "bool";
	case json_type_double:	return "float";
	case json_type_int:	return "int";
	case json_type_object:	return "dict";
	case json_type_array:	return "list";
	case json_type_string:	return "str";
	}
	return "object";
}

static const char *const true_words[] = {
	"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
	"on", "On", "ON", "1",
};
static const char *const false_words[] = {
	"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE",
	"off", "Off", "OFF", "0",
};
static const char *const null_words[] = { "null", "Null", "NULL", "" };

static int
in_words(const char *s, const char *const *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, w[i]) == 0)
			return 1;
	return 0;
}
#define IN_WORDS(s, w)	in_words((s), (w), sizeof(w) / sizeof((w)[0]))

/*
 * BooleanField.  *v: 1, 0, or -1 for null (nullable fields only).  A form
 * without the key counts as false unless the update is partial, as DRF
 * reads an unticked checkbox.
 */
enum field_rc
body_bool(struct req *r, const struct body *b, struct json_object **errs,
    const char *key, unsigned flags, int *v)
{
	const struct body_field *f;
	struct json_object *j;
	const char *s = NULL;
	int64_t i;
	double d;

	if (b->form) {
		if ((f = form_last(b, key)) == NULL) {
			if (flags & FIELD_PARTIAL)
				return FIELD_ABSENT;
			*v = 0;
			return FIELD_OK;
		}
		if (strlen(f->val) != f->len)
			goto bad;
		s = f->val;
	} else {
		if (!json_object_object_get_ex(b->obj, key, &j))
			return FIELD_ABSENT;
		switch (json_object_get_type(j)) {
		case json_type_null:
			if (flags & FIELD_NULLABLE) {
				*v = -1;
				return FIELD_NULL;
			}
			verr_add(r, errs, key, "This field may not be null.");
			return FIELD_BAD;
		case json_type_boolean:
			*v = json_object_get_boolean(j);
			return FIELD_OK;
		case json_type_int:
			i = json_object_get_int64(j);
			if (i != 0 && i != 1)
				goto bad;
			*v = (int)i;
			return FIELD_OK;
		case json_type_double:
			d = json_object_get_double(j);
			if (d != 0.0 && d != 1.0)
				goto bad;
			*v = d == 1.0;
			return FIELD_OK;
		case json_type_string:
			s = json_object_get_string(j);
			if (strlen(s) != (size_t)json_object_get_string_len(j))
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (IN_WORDS(s, true_words)) {
		*v = 1;
		return FIELD_OK;
	}
	if (IN_WORDS(s, false_words)) {
		*v = 0;
		return FIELD_OK;
	}
	if ((flags & FIELD_NULLABLE) && IN_WORDS(s, null_words)) {
		*v = -1;
		return FIELD_NULL;
	}
bad:
	verr_add(r, errs, key, "Must be a valid boolean.");
	return FIELD_BAD;
}

/* Unicode code points in valid UTF-8. */
static size_t
u8len(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

static int
is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/*
 * CharField: trimmed (DRF trims by default), max_len code points (0: no
 * limit), FIELD_NULLABLE and FIELD_BLANK allow null and "".  *v is an arena
 * string, NULL for null.
 */
enum field_rc
body_str(struct req *r, const struct body *b, struct json_object **errs,
    const char *key, unsigned flags, size_t max_len, const char **v)
{
	const struct body_field *f;
	struct json_object *j;
	const char *s;
	size_t n;

	if (b->form) {
		if ((f = form_last(b, key)) == NULL)
			return FIELD_ABSENT;
		s = f->val;
		n = f->len;
		if (n == 0 && (flags & FIELD_NULLABLE) && !(flags & FIELD_BLANK)) {
			*v = NULL;
			return FIELD_NULL;
		}
	} else {
		if (!json_object_object_get_ex(b->obj, key, &j))
			return FIELD_ABSENT;
		switch (json_object_get_type(j)) {
		case json_type_null:
			if (flags & FIELD_NULLABLE) {
				*v = NULL;
				return FIELD_NULL;
			}
			verr_add(r, errs, key, "This field may not be null.");
			return FIELD_BAD;
		case json_type_string:
			s = json_object_get_string(j);
			n = (size_t)json_object_get_string_len(j);
			break;
		case json_type_int:
		case json_type_double:
			s = json_object_get_string(j);
			n = strlen(s);
			break;
		default:
			verr_add(r, errs, key, "Not a valid string.");
			return FIELD_BAD;
		}
	}
	while (n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	if (n == 0) {
		if (!(flags & FIELD_BLANK)) {
			verr_add(r, errs, key, "This field may not be blank.");
			return FIELD_BAD;
		}
		*v = "";
		return FIELD_OK;
	}
	if (memchr(s, '\0', n) != NULL) {
		verr_add(r, errs, key, "Null characters are not allowed.");
		return FIELD_BAD;
	}
	if (max_len > 0 && u8len(s, n) > max_len) {
		verr_add(r, errs, key, arena_printf(r->arena, "Ensure this "
		    "field has no more than %zu characters.", max_len));
		return FIELD_BAD;
	}
	*v = arena_strndup(r->arena, s, n);
	return FIELD_OK;
}

/*
 * Python's int() of a string: blanks around, an optional sign, digits
 * (underscores between digits allowed).  0 and *v, or -1.  Values past
 * int64 saturate: no row has such an id anyway.
 */
static int
py_int(const char *s, int64_t *v)
{
	int neg = 0, digits = 0;
	uint64_t n = 0;

	while (is_space((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s != '\0'; s++) {
		if (*s == '_' && digits > 0 && s[1] >= '0' && s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9')
			break;
		digits++;
		if (n < (uint64_t)INT64_MAX / 10)
			n = n * 10 + (uint64_t)(*s - '0');
		else
			n = (uint64_t)INT64_MAX;
	}
	while (is_space((unsigned char)*s))
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	if (n > (uint64_t)INT64_MAX)
		n = (uint64_t)INT64_MAX;
	*v = neg ? -(int64_t)n : (int64_t)n;
	return 0;
}

/*
 * One primary key value (PrimaryKeyRelatedField.to_internal_value):
 * 0 with *id and *repr (the text DRF's "Invalid pk" message shows), or
 * -1 with *type set to the Python type name for "Incorrect type".
 */
static int
pk_value(struct req *r, struct json_object *j, const char *formval,
    size_t formlen, int64_t *id, const char **repr, const char **type)
{
	const char *s;
	double d;

	if (formval != NULL) {
		*type = "str";
		if (strlen(formval) != formlen || py_int(formval, id) == -1)
			return -1;
		*repr = formval;
		return 0;
	}
	*type = py_type(j);
	switch (json_object_get_type(j)) {
	case json_type_int:
		*id = json_object_get_int64(j);
		*repr = arena_printf(r->arena, "%lld", (long long)*id);
		return 0;
	case json_type_double:
		d = json_object_get_double(j);
		if (d != d || d < -9.2e18 || d > 9.2e18)
			return -1;
		*id = (int64_t)d;		/* Django's int() truncates */
		*repr = json_object_get_string(j);
		return 0;
	case json_type_string:
		s = json_object_get_string(j);
		if (strlen(s) != (size_t)json_object_get_string_len(j) ||
		    py_int(s, id) == -1)
			return -1;
		*repr = s;
		return 0;
	default:
		return -1;
	}
}

/*
 * A nullable-or-not primary key (a user id for delegate, ...).  "" and
 * null are null (DRF turns "" into None for relational fields).  *repr
 * is for the caller's "Invalid pk" message when the row is missing.
 */
enum field_rc
body_pk(struct req *r, const struct body *b, struct json_object **errs,
    const char *key, unsigned flags, int64_t *id, const char **repr)
{
	const struct body_field *f = NULL;
	struct json_object *j = NULL;
	const char *type;
	int null = 0;

	if (b->form) {
		if ((f = form_last(b, key)) == NULL)
			return FIELD_ABSENT;
		null = f->len == 0;
	} else {
		if (!json_object_object_get_ex(b->obj, key, &j))
			return FIELD_ABSENT;
		null = json_object_is_type(j, json_type_null) ||
		    (json_object_is_type(j, json_type_string) &&
		    json_object_get_string_len(j) == 0);
	}
	if (null) {
		if (flags & FIELD_NULLABLE) {
			*id = 0;
			return FIELD_NULL;
		}
		verr_add(r, errs, key, "This field may not be null.");
		return FIELD_BAD;
	}
	if (pk_value(r, j, f != NULL ? f->val : NULL, f != NULL ? f->len : 0,
	    id, repr, &type) == -1) {
		verr_add(r, errs, key, arena_printf(r->arena, "Incorrect "
		    "type. Expected pk value, received %s.", type));
		return FIELD_BAD;
	}
	return FIELD_OK;
}

/*
 * A list of primary keys (ManyRelatedField): repeated keys in a form, an
 * array in JSON.  *ids and *reprs are arena arrays of *n entries.  An
 * empty list is FIELD_OK with *n 0; FIELD_NONEMPTY makes it an error
 * with msg_empty.
 */
enum field_rc
body_pk_list(struct req *r, const struct body *b, struct json_object **errs,
    const char *key, unsigned flags, int64_t **ids, const char ***reprs,
    size_t *n)
{
	struct json_object *j, *item;
	const char *type;
	size_t i, k = 0, cnt = 0;

	*n = 0;
	if (b->form) {
		if (form_last(b, key) == NULL) {
			if (flags & FIELD_PARTIAL)
				return FIELD_ABSENT;
			/* DRF: getlist() of a missing key is an empty list */
		}
		for (i = 0; i < b->nfields; i++)
			cnt += strcmp(b->fields[i].key, key) == 0;
		*ids = ARENA_NEW(r->arena, int64_t, cnt + 1);
		*reprs = ARENA_NEW(r->arena, const char *, cnt + 1);
		for (i = 0; i < b->nfields; i++) {
			if (strcmp(b->fields[i].key, key) != 0)
				continue;
			if (pk_value(r, NULL, b->fields[i].val,
			    b->fields[i].len, &(*ids)[k], &(*reprs)[k],
			    &type) == -1)
				goto badtype;
			k++;
		}
		*n = k;
		return FIELD_OK;
	}
	if (!json_object_object_get_ex(b->obj, key, &j))
		return FIELD_ABSENT;
	if (json_object_is_type(j, json_type_null)) {
		verr_add(r, errs, key, "This field may not be null.");
		return FIELD_BAD;
	}
	if (!json_object_is_type(j, json_type_array)) {
		verr_add(r, errs, key, arena_printf(r->arena, "Expected a list "
		    "of items but got type \"%s\".", py_type(j)));
		return FIELD_BAD;
	}
	cnt = json_object_array_length(j);
	*ids = ARENA_NEW(r->arena, int64_t, cnt + 1);
	*reprs = ARENA_NEW(r->arena, const char *, cnt + 1);
	for (i = 0; i < cnt; i++) {
		item = json_object_array_get_idx(j, i);
		if (item == NULL || json_object_is_type(item, json_type_boolean)
		    || pk_value(r, item, NULL, 0, &(*ids)[i], &(*reprs)[i],
		    &type) == -1) {
			type = item == NULL ? "NoneType" : py_type(item);
			goto badtype;
		}
	}
	*n = cnt;
	return FIELD_OK;
badtype:
	verr_add(r, errs, key, arena_printf(r->arena, "Incorrect type. "
	    "Expected pk value, received %s.", type));
	return FIELD_BAD;
}

/* IntegerField with bounds (inclusive). */
enum field_rc
body_int(struct req *r, const struct body *b, struct json_object **errs,
    const char *key, int64_t min, int64_t max, int64_t *v)
{
	const struct body_field *f;
	struct json_object *j;
	const char *s;
	char *t;
	size_t n;
	double d;

	if (b->form) {
		if ((f = form_last(b, key)) == NULL)
			return FIELD_ABSENT;
		s = f->val;
		if (strlen(s) != f->len)
			goto bad;
	} else {
		if (!json_object_object_get_ex(b->obj, key, &j))
			return FIELD_ABSENT;
		switch (json_object_get_type(j)) {
		case json_type_null:
			verr_add(r, errs, key, "This field may not be null.");
			return FIELD_BAD;
		case json_type_int:
			*v = json_object_get_int64(j);
			goto range;
		case json_type_double:
			d = json_object_get_double(j);
			if (d != (double)(int64_t)d)
				goto bad;
			*v = (int64_t)d;
			goto range;
		case json_type_string:
			s = json_object_get_string(j);
			if (strlen(s) != (size_t)json_object_get_string_len(j))
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (strlen(s) > 1000) {
		verr_add(r, errs, key, "String value too large.");
		return FIELD_BAD;
	}
	/* DRF drops a trailing ".0" before int(). */
	t = arena_strdup(r->arena, s);
	n = strlen(t);
	while (n > 0 && is_space((unsigned char)t[n - 1]))
		t[--n] = '\0';
	if ((s = strrchr(t, '.')) != NULL && s[1] != '\0' &&
	    strspn(s + 1, "0") == strlen(s + 1))
		t[s - t] = '\0';
	if (py_int(t, v) == -1)
		goto bad;
range:
	if (*v < min) {
		verr_add(r, errs, key, arena_printf(r->arena, "Ensure this "
		    "value is greater than or equal to %lld.", (long long)min));
		return FIELD_BAD;
	}
	if (*v > max) {
		verr_add(r, errs, key, arena_printf(r->arena, "Ensure this "
		    "value is less than or equal to %lld.", (long long)max));
		return FIELD_BAD;
	}
	return FIELD_OK;
bad:
	verr_add(r, errs, key, "A valid integer is required.");
	return FIELD_BAD;
}

/* Nest a serializer's own errors (an object) under field. */
void
verr_attach(struct req *r, struct json_object **errs, const char *field,
    struct json_object *nested)
{
	if (nested == NULL)
		return;
	if (*errs == NULL) {
		*errs = json_object_new_object();
		arena_defer(r->arena, put_json, *errs);
	}
	json_object_object_add(*errs, field, json_object_get(nested));
}
