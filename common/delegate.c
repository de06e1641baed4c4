#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "delegate.h"
#include "xalloc.h"

static int
rule_cmp(const void *a, const void *b)
{
	const struct delegate_rule *x = *(const struct delegate_rule *const *)a;
	const struct delegate_rule *y = *(const struct delegate_rule *const *)b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return strcmp(x->path, y->path);
}

int64_t
delegate_by_files(const struct delegate_rule *rules, size_t nrules,
    char *const *files, size_t nfiles)
{
	const struct delegate_rule **ord;
	int64_t who = -1, file_user;
	size_t i, f;

	if (nfiles == 0 || nrules == 0)
		return -1;
	ord = xreallocarray(NULL, nrules, sizeof(*ord));
	for (i = 0; i < nrules; i++)
		ord[i] = &rules[i];
	qsort(ord, nrules, sizeof(*ord), rule_cmp);
	for (f = 0; f < nfiles; f++) {
		file_user = -1;
		for (i = 0; i < nrules; i++)
			if (fnmatch(ord[i]->path, files[f], FNM_NOESCAPE) == 0) {
				file_user = ord[i]->user;
				break;
			}
		if (file_user == -1 || (who != -1 && who != file_user)) {
			who = -1;
			break;
		}
		who = file_user;
	}
	free(ord);
	return who;
}
