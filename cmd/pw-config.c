/*
 * pw config: print the annotated default configuration, check a file, or
 * show the configuration in effect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

CMD_DESCRIPTION("print the default configuration, or check one");

static int
usage(void)
{
	fprintf(stderr, "usage: pw config [-c file] [-n | -s]\n"
	    "       pw config [-c file] check | default | show\n");
	return EX_USAGE;
}

int
main(int argc, char *argv[])
{
	struct cmd c;
	int ch, mode = 'd';

	cmd_init(&c, "pw-config");
	while ((ch = getopt(argc, argv, "c:hns")) != -1) {
		switch (ch) {
		case 'c':
			c.config = optarg;
			break;
		case 'n':
		case 's':
			mode = ch;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		return usage();
	if (argc == 1) {
		if (strcmp(argv[0], "check") == 0)
			mode = 'n';
		else if (strcmp(argv[0], "show") == 0)
			mode = 's';
		else if (strcmp(argv[0], "default") == 0)
			mode = 'd';
		else
			return usage();
	}

	switch (mode) {
	case 'd':
		conf_print_default(stdout);
		break;
	case 'n':
		cmd_config(&c);
		printf("configuration OK\n");
		break;
	case 's':
		cmd_config(&c);
		conf_print(stdout, &c.conf);
		break;
	}
	cmd_release(&c);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("pw-config: stdout");
		return EX_IOERR;
	}
	return 0;
}
