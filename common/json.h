#ifndef PW_JSON_H
#define PW_JSON_H
/*
 * JSON output over json-c (STYLE 4.4), shaped like Django REST
 * framework's: what the API, webhooks and exports emit.
 *
 *  - json_add_*() add one key to an object.  Keys are always present: a
 *    NULL string, or a time of JSON_TIME_NULL, becomes null, never a
 *    missing key.  json_object_object_add() takes over the child's
 *    reference, so the caller frees nothing but the root.
 *  - Times are Django's naive UTC datetimes: "YYYY-MM-DDTHH:MM:SS", plus
 *    ".ffffff" (always six digits) only when the microseconds are not
 *    zero; no time zone designator.
 *  - json_write() serialises compactly, UTF-8 passed through unescaped,
 *    "/" not escaped, U+2028 and U+2029 escaped (json-c leaves those two
 *    raw; JavaScript parsers choke on them).  The caller still owns and
 *    drops the object.
 *  - json_quote() and json_escape() write a string literal (with or
 *    without its quotes) straight into a buffer, for output built
 *    without a json-c tree; same escaping rules.
 *
 * Nothing here fails: allocation failure aborts.
 */
#include <stddef.h>
#include <stdint.h>

struct buf;
struct json_object;

#define JSON_TIME_NULL	INT64_MIN

void	json_add_str(struct json_object *, const char *key, const char *);
void	json_add_strn(struct json_object *, const char *key, const char *,
	    size_t);
void	json_add_i64(struct json_object *, const char *key, int64_t);
void	json_add_bool(struct json_object *, const char *key, int);
void	json_add_null(struct json_object *, const char *key);
/* usec: microseconds since the epoch, UTC. */
void	json_add_time(struct json_object *, const char *key, int64_t usec);
/* pgtext: a PostgreSQL timestamp as text, in a UTC session. */
void	json_add_pgtime(struct json_object *, const char *key,
	    const char *pgtext);
/* The Django form of usec into out; its length, or -1 if out of range. */
int	json_format_time(char out[32], int64_t usec);
void	json_write(struct buf *, struct json_object *);
void	json_quote(struct buf *, const char *, size_t);
void	json_escape(struct buf *, const char *, size_t);

#endif
