#include <stdlib.h>

#include "log.h"
#include "rx.h"
#include "tags.h"
#include "xalloc.h"

struct tagset {
	struct rx	**rx;	/* NULL entry: pattern did not compile */
	size_t		  n;
};

struct tagset *
tagset_new(const char *const *patterns, size_t n)
{
	struct tagset *t;
	char err[200];
	size_t i;

	t = xcalloc(1, sizeof(*t));
	t->rx = xcalloc(n ? n : 1, sizeof(*t->rx));
	t->n = n;
	for (i = 0; i < n; i++) {
		t->rx[i] = rx_compile(patterns[i], RX_MULTILINE | RX_ICASE,
		    err, sizeof(err));
		if (t->rx[i] == NULL)
			log_warnx("tag pattern \"%s\" ignored: %s", patterns[i],
			    err);
	}
	return t;
}

void
tagset_free(struct tagset *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		rx_free(t->rx[i]);
	free(t->rx);
	free(t);
}

size_t
tagset_size(const struct tagset *t)
{
	return t ? t->n : 0;
}

void
tagset_count(struct tagset *t, const char *text, size_t len,
    unsigned *counts)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		counts[i] = t->rx[i] ? (unsigned)rx_count(t->rx[i], text, len) : 0;
}
