/*
 * pw: the dispatcher.  `pw [options] NAME args...` runs the program
 * pw-NAME with args, as git runs git-NAME.
 *
 * Programs are looked up in $PW_LIBEXECDIR when set, then beside the pw
 * binary (a build tree), then in the libexec directory chosen at build
 * time.  A candidate counts only if it carries CMD_IDENT (see cmd.h):
 * PipeWire ships pw-cat, pw-top and friends, and `pw cat` must not run
 * one of them.
 *
 * -c FILE and --database-url URL become $PW_CONFIG and $PW_DATABASE_URL
 * for the program, which every pw program reads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "migrate.h"
#include "xalloc.h"

struct found {
	char	*name;		/* without "pw-" */
	char	*desc;
};

static char *dirs[3];
static size_t ndirs;

static void
dirs_init(void)
{
	char self[PATH_MAX], *slash;
	const char *env;
	ssize_t n;

	if ((env = getenv("PW_LIBEXECDIR")) != NULL && env[0] != '\0')
		dirs[ndirs++] = xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			dirs[ndirs++] = xstrdup(self[0] ? self : "/");
		}
	}
	dirs[ndirs++] = xstrdup(PW_LIBEXECDIR);
}

/*
 * The description a pw program carries (malloc'd, "" if it has none),
 * or NULL when path is not an executable file of ours.
 */
static char *
describe(const char *path)
{
	static const char ident[] = CMD_IDENT;
	static const char marker[] = CMD_MARKER;
	struct stat st;
	const char *p, *end;
	char *desc = NULL;
	void *map;
	int fd;

	if (access(path, X_OK) == -1)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	if (memmem(map, (size_t)st.st_size, ident, sizeof(ident) - 1) == NULL)
		p = NULL;
	else if ((p = memmem(map, (size_t)st.st_size, marker,
	    sizeof(marker) - 1)) == NULL)
		desc = xstrdup("");
	if (p != NULL) {
		p += sizeof(marker) - 1;
		end = memchr(p, '\0', (size_t)((const char *)map + st.st_size - p));
		if (end != NULL)
			desc = xstrndup(p, (size_t)(end - p));
	}
	munmap(map, (size_t)st.st_size);
	return desc;
}

static int
valid_name(const char *s)
{
	if (*s == '\0' || *s == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->name,
	    ((const struct found *)b)->name);
}

static void
list_commands(FILE *fp)
{
	struct found *f = NULL;
	struct dirent *de;
	size_t n = 0, i, j;
	char *path, *desc;
	DIR *d;

	for (i = 0; i < ndirs; i++) {
		if ((d = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "pw-", 3) != 0 ||
			    !valid_name(de->d_name + 3))
				continue;
			for (j = 0; j < n; j++)
				if (strcmp(f[j].name, de->d_name + 3) == 0)
					break;
			if (j < n)
				continue;	/* an earlier directory wins */
			path = xasprintf("%s/%s", dirs[i], de->d_name);
			desc = describe(path);
			free(path);
			if (desc == NULL)
				continue;
			f = xreallocarray(f, n + 1, sizeof(*f));
			f[n].name = xstrdup(de->d_name + 3);
			f[n].desc = desc;
			n++;
		}
		closedir(d);
	}
	if (n == 0) {
		fprintf(fp, "\nno commands found (looked in");
		for (i = 0; i < ndirs; i++)
			fprintf(fp, " %s", dirs[i]);
		fprintf(fp, ")\n");
		return;
	}
	qsort(f, n, sizeof(*f), by_name);
	fprintf(fp, "\ncommands:\n");
	for (i = 0; i < n; i++) {
		fprintf(fp, "   %-12s %s\n", f[i].name, f[i].desc);
		free(f[i].name);
		free(f[i].desc);
	}
	free(f);
}

static void
print_usage(FILE *fp)
{
	fprintf(fp, "usage: pw [-c file] [--database-url url] command "
	    "[args ...]\n"
	    "       pw --help | --version\n");
}

static int
usage(void)
{
	print_usage(stderr);
	fprintf(stderr, "Run `pw --help` for the list of commands.\n");
	return EX_USAGE;
}

static int
help(void)
{
	print_usage(stdout);
	list_commands(stdout);
	printf("\n`pw COMMAND -h` shows a command's usage; pw(1) and "
	    "pw-COMMAND(1 or 8) document them.\n");
	return fflush(stdout) == EOF ? EX_IOERR : 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database-url", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *path = NULL, *desc, *prog, **nargv;
	int ch, i;
	size_t k;

	dirs_init();
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (setenv("PW_CONFIG", optarg, 1) == -1)
				return EX_OSERR;
			break;
		case 'd':
			if (setenv("PW_DATABASE_URL", optarg, 1) == -1)
				return EX_OSERR;
			break;
		case 'h':
			return help();
		case 'V':
			printf("pw %s (schema %d)\n", PW_VERSION,
			    migrate_latest());
			return fflush(stdout) == EOF ? EX_IOERR : 0;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "help") == 0 && argc == 1)
		return help();

	if (valid_name(argv[0])) {
		for (k = 0; k < ndirs && path == NULL; k++) {
			path = xasprintf("%s/pw-%s", dirs[k], argv[0]);
			if ((desc = describe(path)) == NULL) {
				free(path);
				path = NULL;
			}
			free(desc);
		}
	}
	if (path == NULL) {
		fprintf(stderr, "pw: '%s' is not a pw command; see "
		    "`pw --help`\n", argv[0]);
		return EX_USAGE;
	}
	prog = xasprintf("pw-%s", argv[0]);
	nargv = xcalloc((size_t)argc + 1, sizeof(*nargv));
	nargv[0] = prog;
	for (i = 1; i < argc; i++)
		nargv[i] = argv[i];
	execv(path, nargv);
	fprintf(stderr, "pw: cannot run %s: %s\n", path, strerror(errno));
	return EX_OSERR;
}
