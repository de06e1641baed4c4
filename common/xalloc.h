#ifndef PW_XALLOC_H
#define PW_XALLOC_H
/*
 * Allocators that either succeed or do not return: on out-of-memory they
 * log one line and abort().  Callers never check for NULL.
 */
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* realloc of n elements of size sz, aborting on multiplication overflow */
void	*xreallocarray(void *, size_t n, size_t sz);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
