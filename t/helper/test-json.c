/*
 * pw-test json: common/json.c against the strings Django REST framework
 * produces; prints TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "json.h"
#include "test.h"

/* Serialise o with json_write(), drop it, compare with want. */
static void
check(struct json_object *o, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	json_write(&b, o);
	json_object_put(o);
	tap_ok(strcmp(b.s, want) == 0, "%s: %s", what, b.s);
	buf_release(&b);
}

static struct json_object *
one_time(int64_t usec)
{
	struct json_object *o = json_object_new_object();

	json_add_time(o, "t", usec);
	return o;
}

static struct json_object *
one_pgtime(const char *s)
{
	struct json_object *o = json_object_new_object();

	json_add_pgtime(o, "t", s);
	return o;
}

static void
check_quote(const char *in, size_t n, const char *want, const char *what)
{
	struct buf b = BUF_INIT;

	json_quote(&b, in, n);
	tap_ok(b.len == strlen(want) && memcmp(b.s, want, b.len) == 0,
	    "%s: %s", what, b.s);
	buf_release(&b);
}

int
test_json(int argc, char *argv[])
{
	struct json_object *o;

	o = json_object_new_object();
	json_add_str(o, "a", "x");
	json_add_str(o, "b", NULL);
	json_add_strn(o, "c", "abcdef", 3);
	json_add_strn(o, "d", NULL, 3);
	json_add_null(o, "e");
	check(o, "{\"a\":\"x\",\"b\":null,\"c\":\"abc\",\"d\":null,\"e\":null}",
	    "NULL strings are null, keys kept in order");

	o = json_object_new_object();
	json_add_i64(o, "max", INT64_MAX);
	json_add_i64(o, "min", INT64_MIN);
	json_add_i64(o, "zero", 0);
	json_add_bool(o, "t", 7);
	json_add_bool(o, "f", 0);
	check(o, "{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	    "\"zero\":0,\"t\":true,\"f\":false}", "integers and booleans");

	o = json_object_new_object();
	json_add_str(o, "s", "a/b \"q\" \\ \t\n\001 \xc3\xa9 \xe2\x80\xa8 \xe2\x80\xa9 \xe2\x82\xac");
	check(o, "{\"s\":\"a/b \\\"q\\\" \\\\ \\t\\n\\u0001 \xc3\xa9 \\u2028 "
	    "\\u2029 \xe2\x82\xac\"}", "escaping: / and UTF-8 raw, U+2028/9 escaped");

	check(one_time(0), "{\"t\":\"1970-01-01T00:00:00\"}", "epoch");
	check(one_time(1700000000LL * 1000000), "{\"t\":\"2023-11-14T22:13:20\"}",
	    "no fraction when the microseconds are zero");
	check(one_time(1700000000LL * 1000000 + 500000),
	    "{\"t\":\"2023-11-14T22:13:20.500000\"}", "six fraction digits");
	check(one_time(1700000000LL * 1000000 + 7),
	    "{\"t\":\"2023-11-14T22:13:20.000007\"}", "leading zeros kept");
	check(one_time(-1), "{\"t\":\"1969-12-31T23:59:59.999999\"}",
	    "before the epoch");
	check(one_time(JSON_TIME_NULL), "{\"t\":null}", "JSON_TIME_NULL is null");

	check(one_pgtime("2024-01-02 03:04:05"),
	    "{\"t\":\"2024-01-02T03:04:05\"}", "pg: whole seconds");
	check(one_pgtime("2024-01-02 03:04:05.5"),
	    "{\"t\":\"2024-01-02T03:04:05.500000\"}", "pg: short fraction padded");
	check(one_pgtime("2024-01-02 03:04:05.123456"),
	    "{\"t\":\"2024-01-02T03:04:05.123456\"}", "pg: six digits");
	check(one_pgtime("2024-01-02 03:04:05.25+00"),
	    "{\"t\":\"2024-01-02T03:04:05.250000\"}", "pg: UTC offset dropped");
	check(one_pgtime("2024-01-02 03:04:05+00"),
	    "{\"t\":\"2024-01-02T03:04:05\"}", "pg: offset, no fraction");
	check(one_pgtime(NULL), "{\"t\":null}", "pg: NULL is null");
	check(one_pgtime("infinity"), "{\"t\":\"infinity\"}",
	    "pg: not a timestamp: passed through");

	check_quote("a\"b", 3, "\"a\\\"b\"", "quote: double quote");
	check_quote("a\0b", 3, "\"a\\u0000b\"", "quote: NUL inside the length");
	check_quote("\xe2\x80\xa9x", 4, "\"\\u2029x\"", "quote: U+2029");
	check_quote("\xe2\x80", 2, "\"\xe2\x80\"", "quote: truncated sequence raw");
	check_quote("", 0, "\"\"", "quote: empty");
	return tap_done();
}
