#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xalloc.h"

#define BLOCK_SIZE	(32 * 1024)
#define ALIGN		16

struct arena_block {
	struct arena_block	*next;
	size_t			 size;	/* usable bytes in data */
	size_t			 used;
	_Alignas(ALIGN) unsigned char data[];
};

struct arena_defer {
	struct arena_defer	*next;
	arena_fn		 fn;
	void			*ptr;
};

void
arena_init(struct arena *a)
{
	a->head = NULL;
	a->defers = NULL;
	a->total = 0;
}

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		xmalloc(SIZE_MAX);	/* aborts */
	b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t off;
	void *p;

	if (n == 0)
		n = 1;
	off = b ? (b->used + ALIGN - 1) & ~(size_t)(ALIGN - 1) : 0;
	if (b == NULL || n > b->size || off > b->size - n) {
		if (n > BLOCK_SIZE / 4) {
			/* Big: own block, kept behind the current one so
			 * the current block's free space stays usable. */
			struct arena_block *big = block_new(n);

			if (b) {
				big->next = b->next;
				b->next = big;
			} else
				a->head = big;
			big->used = n;
			a->total += n;
			memset(big->data, 0, n);
			return big->data;
		}
		b = block_new(BLOCK_SIZE);
		b->next = a->head;
		a->head = b;
		off = 0;
	}
	p = b->data + off;
	b->used = off + n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

void *
arena_memdup(struct arena *a, const void *src, size_t n)
{
	void *p = arena_alloc(a, n);

	memcpy(p, src, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_memdup(a, s, strlen(s) + 1) : NULL;
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	char *p;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_defer(struct arena *a, arena_fn fn, void *ptr)
{
	struct arena_defer *d;

	if (ptr == NULL)
		return;
	d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->ptr = ptr;
	d->next = a->defers;
	a->defers = d;
}

static void
run_defers(struct arena *a)
{
	struct arena_defer *d;

	/* Newest first; a cleanup may not allocate from this arena. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->ptr);
	}
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b, *keep = NULL, *next;

	run_defers(a);
	for (b = a->head; b; b = next) {
		next = b->next;
		if (keep == NULL && b->size == BLOCK_SIZE) {
			keep = b;
			continue;
		}
		free(b);
	}
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
	a->total = 0;
}

void
arena_release(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}
