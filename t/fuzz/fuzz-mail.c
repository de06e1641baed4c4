/*
 * libFuzzer target for the mail parser: any bytes must parse (or be
 * classified MALFORMED) without a crash, a leak or a hang.  Built by
 * `make fuzz` with clang, ASan and UBSan; run by t/2099-fuzz.t with a
 * seed corpus from t/data/mail.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mail.h"
#include "subject.h"
#include "tags.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const patterns[] = {
		"^Acked-by:", "^Reviewed-by:", "^Tested-by:",
	};
	static struct tagset *tags;
	struct parse_opts opts = { 0 };
	struct parsed_mail pm;
	char *name;

	if (tags == NULL)
		tags = tagset_new(patterns, 3);
	opts.tags = tags;
	opts.now = 1;
	opts.base_path = "/pw";
	mail_parse(&pm, (const char *)data, size, &opts);
	/* the second half of the pipeline: a project with a list address */
	mail_set_project(&pm, "net-next", "list@example.org");
	name = subject_series_name(pm.name);
	(void)subject_match("^\\[PATCH", pm.subject);
	free(name);
	mail_release(&pm);
	return 0;
}
