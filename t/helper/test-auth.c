/*
 * pw-test auth: common/auth.c from the shell.  The password is all of
 * stdin, byte for byte (use printf %s, not echo).
 *
 *   auth encode ALG SALT ITER   print the pbkdf2 string
 *   auth check [-amn] STORED    print "match", "match rehash" or
 *                               "no match"; exit 0 on a match, else 1
 *                               (-m allows md5$salt$, -a the pre-1.4
 *                               forms, -n skips the equalising PBKDF2)
 *   auth make                   print a new hash of the password
 *   auth kind STORED            print the family and "rehash"/"current"
 *   auth token                  print a new API token
 *   auth unusable               print a new unusable password
 *   auth selftest               TAP: our PBKDF2 against OpenSSL's
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "buf.h"
#include "xalloc.h"
#include "test.h"

static char *
read_stdin(void)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(&b, chunk, n);
	return buf_detach(&b, NULL);
}

static int
auth_usage(void)
{
	fprintf(stderr, "usage: pw-test auth encode ALG SALT ITER | "
	    "check [-amn] STORED | make | kind STORED | token | unusable\n");
	return 64;
}

static int
auth_check(int argc, char *argv[])
{
	unsigned flags = 0;
	char *pw;
	int ch, rc, rehash;

	optind = 1;
	while ((ch = getopt(argc, argv, "amn")) != -1) {
		switch (ch) {
		case 'a':
			flags |= AUTH_ALLOW_ANCIENT;
			break;
		case 'n':
			flags |= AUTH_NO_DUMMY;
			break;
		case 'm':
			flags |= AUTH_ALLOW_MD5;
			break;
		default:
			return auth_usage();
		}
	}
	if (argc - optind != 1)
		return auth_usage();
	pw = read_stdin();
	rc = auth_password_check(pw, argv[optind], flags, &rehash);
	free(pw);
	if (rc == 0)
		printf("match%s\n", rehash ? " rehash" : "");
	else
		printf("no match\n");
	return rc == 0 ? 0 : 1;
}

/*
 * auth_pbkdf2_encode() against PKCS5_PBKDF2_HMAC on random passwords
 * (0 to 200 bytes: both sides of the 64-byte HMAC key limit), salts and
 * small iteration counts.
 */
static int
auth_selftest(void)
{
	static const char *const algs[] = { "pbkdf2_sha256", "pbkdf2_sha1" };
	unsigned char r[256], key[32];
	char pw[201], salt[40], b64[64], *s, *want;
	size_t pwlen, saltlen, i;
	int n, a, iter, bad;

	for (a = 0; a < 2; a++) {
		bad = 0;
		for (n = 0; n < 200; n++) {
			if (RAND_bytes(r, sizeof(r)) != 1)
				return 1;
			pwlen = n;
			for (i = 0; i < pwlen; i++)
				pw[i] = (char)(r[i] % 255 + 1);	/* no NUL */
			pw[pwlen] = '\0';
			saltlen = r[200] % sizeof(salt);
			for (i = 0; i < saltlen; i++)
				salt[i] = (char)('0' + r[201 + i] % 64);
			salt[saltlen] = '\0';
			for (i = 0; i < saltlen; i++)
				if (salt[i] == '$')
					salt[i] = '_';
			iter = 1 + r[250] % 40;
			PKCS5_PBKDF2_HMAC(pw, (int)pwlen, (unsigned char *)salt,
			    (int)saltlen, iter, a == 0 ? EVP_sha256() : EVP_sha1(),
			    a == 0 ? 32 : 20, key);
			EVP_EncodeBlock((unsigned char *)b64, key, a == 0 ? 32 : 20);
			want = xasprintf("%s$%d$%s$%s", algs[a], iter, salt, b64);
			s = auth_pbkdf2_encode(algs[a], pw, salt, iter);
			if (s == NULL || strcmp(s, want) != 0) {
				bad++;
				printf("# %s pwlen %zu salt '%s' iter %d\n# got  %s\n"
				    "# want %s\n", algs[a], pwlen, salt, iter,
				    s ? s : "(null)", want);
			}
			free(s);
			free(want);
		}
		tap_ok(bad == 0, "%s: 200 random inputs agree", algs[a]);
	}
	tap_ok(auth_pbkdf2_encode("pbkdf2_sha512", "x", "y", 1) == NULL,
	    "unknown algorithm refused");
	tap_ok(auth_pbkdf2_encode("pbkdf2_sha256", "x", "a$b", 1) == NULL,
	    "salt with $ refused");
	tap_ok(auth_pbkdf2_encode("pbkdf2_sha256", "x", "y", 0) == NULL,
	    "zero iterations refused");
	tap_ok(auth_pbkdf2_encode("pbkdf2_sha256", "x", "y",
	    AUTH_PBKDF2_MAX_ITERATIONS + 1) == NULL,
	    "absurd iteration count refused");
	return tap_done();
}

int
test_auth(int argc, char *argv[])
{
	char tok[AUTH_TOKEN_LEN + 1];
	char *pw, *s, *end;
	unsigned long iter;

	if (argc < 2)
		return auth_usage();
	if (strcmp(argv[1], "encode") == 0 && argc == 5) {
		iter = strtoul(argv[4], &end, 10);
		if (*end != '\0')
			return auth_usage();
		pw = read_stdin();
		s = auth_pbkdf2_encode(argv[2], pw, argv[3], iter);
		free(pw);
		if (s == NULL) {
			fprintf(stderr, "encode failed\n");
			return 1;
		}
		printf("%s\n", s);
		free(s);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0)
		return auth_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "make") == 0 && argc == 2) {
		pw = read_stdin();
		s = auth_password_make(pw);
		free(pw);
		if (s == NULL)
			return 1;
		printf("%s\n", s);
		free(s);
		return 0;
	}
	if (strcmp(argv[1], "kind") == 0 && argc == 3) {
		printf("%s %s\n", auth_kind_name(auth_kind(argv[2])),
		    auth_needs_rehash(argv[2]) ? "rehash" : "current");
		return 0;
	}
	if (strcmp(argv[1], "token") == 0 && argc == 2) {
		if (auth_token_make(tok) == -1)
			return 1;
		printf("%s %s\n", tok, auth_token_valid(tok) ? "valid" : "invalid");
		return 0;
	}
	if (strcmp(argv[1], "selftest") == 0 && argc == 2)
		return auth_selftest();
	if (strcmp(argv[1], "unusable") == 0 && argc == 2) {
		if ((s = auth_unusable_make()) == NULL)
			return 1;
		printf("%s\n", s);
		free(s);
		return 0;
	}
	return auth_usage();
}
