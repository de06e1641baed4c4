#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "test.h"

static int tap_n, tap_failed;

void
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

int
test_buf(int argc, char *argv[])
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len, i;

	tap_ok(b.s != NULL && b.len == 0 && b.s[0] == '\0', "BUF_INIT is empty string");
	buf_adds(&b, "abc");
	buf_addc(&b, 'd');
	buf_addf(&b, "%d-%s", 42, "x");
	tap_ok(strcmp(b.s, "abcd42-x") == 0 && b.len == 8, "add, addc, addf");
	for (i = 0; i < 10000; i++)
		buf_addf(&b, "%zu,", i);
	tap_ok(b.s[b.len] == '\0' && strlen(b.s) == b.len, "terminated after growth");
	tap_ok(strncmp(b.s + b.len - 5, "9999,", 5) == 0, "content kept across growth");
	buf_reset(&b);
	tap_ok(b.len == 0 && b.s[0] == '\0', "reset empties");
	buf_add(&b, "a\0b", 3);
	tap_ok(b.len == 3 && b.s[1] == '\0' && b.s[2] == 'b' && b.s[3] == '\0',
	    "binary bytes kept, still terminated");
	s = buf_detach(&b, &len);
	tap_ok(len == 3 && s[2] == 'b' && b.len == 0 && b.s[0] == '\0',
	    "detach hands over and re-inits");
	free(s);
	s = buf_detach(&b, NULL);
	tap_ok(s != NULL && s[0] == '\0', "detach of empty gives a free()able string");
	free(s);
	buf_setlen(&b, 5);
	tap_ok(b.len == 5 && b.s[5] == '\0', "setlen grows");
	buf_release(&b);
	tap_ok(b.cap == 0 && b.s[0] == '\0', "release re-inits");
	return tap_done();
}

static int defer_order[4], ndefer;

static void
note(void *p)
{
	defer_order[ndefer++] = *(int *)p;
}

int
test_arena(int argc, char *argv[])
{
	static int one = 1, two = 2;
	struct arena a;
	char *s, *big;
	void *p;
	int i, aligned = 1;

	arena_init(&a);
	for (i = 0; i < 5000; i++) {
		p = arena_alloc(&a, (size_t)(i % 37) + 1);
		if ((uintptr_t)p % 16)
			aligned = 0;
	}
	tap_ok(aligned, "allocations are 16-aligned");
	s = arena_printf(&a, "%s-%d", "x", 7);
	tap_ok(strcmp(s, "x-7") == 0, "printf");
	tap_ok(strcmp(arena_strndup(&a, "hello", 3), "hel") == 0, "strndup");
	tap_ok(arena_strdup(&a, NULL) == NULL, "strdup(NULL) is NULL");
	big = arena_alloc(&a, 1 << 20);
	memset(big, 'x', 1 << 20);
	tap_ok(big[0] == 'x' && big[(1 << 20) - 1] == 'x', "big allocation");
	s = arena_alloc(&a, 10);
	tap_ok(s[0] == 0 && s[9] == 0, "memory is zeroed");
	arena_defer(&a, note, &one);
	arena_defer(&a, note, &two);
	arena_defer(&a, note, NULL);
	arena_reset(&a);
	tap_ok(ndefer == 2 && defer_order[0] == 2 && defer_order[1] == 1,
	    "defers run newest first at reset, NULL ignored");
	tap_ok(a.total == 0, "reset clears the count");
	s = arena_strdup(&a, "after");
	tap_ok(strcmp(s, "after") == 0, "usable after reset");
	arena_release(&a);
	return tap_done();
}
