#ifndef PW_ARENA_H
#define PW_ARENA_H
/*
 * Per-request arena.
 *
 * Lifecycle:
 *  1. arena_init(&a) once (no allocation until first use);
 *  2. allocate with arena_alloc()/arena_strdup()/arena_printf(), and
 *     register foreign objects (PGresult, json-c, GMime) with
 *     arena_defer(&a, fn, ptr): fn(ptr) runs at the next reset;
 *  3. arena_reset(&a) after each request: runs the deferred cleanups in
 *     reverse order of registration, then frees all blocks but the first
 *     (so a steady worker does not churn malloc);
 *  4. arena_release(&a) at exit frees everything.
 *
 * Nothing allocated here may be referenced after the reset; nothing in
 * worker-lifetime structures points into an arena.  Allocation aborts on
 * out of memory.
 */
#include <stdarg.h>
#include <stddef.h>

struct arena_block;
struct arena_defer;

struct arena {
	struct arena_block	*head;
	struct arena_defer	*defers;
	size_t			 total;	/* bytes handed out since reset */
};

typedef void (*arena_fn)(void *);

void	 arena_init(struct arena *);
void	*arena_alloc(struct arena *, size_t);	/* zeroed, 16-aligned */
char	*arena_strdup(struct arena *, const char *);
char	*arena_strndup(struct arena *, const char *, size_t);
void	*arena_memdup(struct arena *, const void *, size_t);
char	*arena_printf(struct arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*arena_vprintf(struct arena *, const char *, va_list);
void	 arena_defer(struct arena *, arena_fn, void *);
void	 arena_reset(struct arena *);
void	 arena_release(struct arena *);

#define ARENA_NEW(a, type, n)	((type *)arena_alloc((a), sizeof(type) * (n)))

#endif
