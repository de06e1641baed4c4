#!/bin/sh
# common/auth.c: Django-compatible password hashes and API tokens, checked
# against the test vectors of spec/schema-and-migration.md 3.1.
. "$(dirname "$0")"/lib.sh

# check PASSWORD STORED [flags...]: what `pw-test auth check` says.  -n
# skips the PBKDF2 spent on hopeless hashes, which keeps the script fast;
# the timing test below checks that work without it.
check() {
	local pw=$1 stored=$2
	shift 2
	printf %s "$pw" | pw-test auth check -n "$@" "$stored"
}

test_expect_success 'our PBKDF2 equals OpenSSL PKCS5_PBKDF2_HMAC' '
	pw-test auth selftest >out && ! grep "^not ok" out && grep -c "^ok" out
'

test_expect_success 'pbkdf2_sha256: secret, abc, 1000 (Django vector)' '
	echo "pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" >expect &&
	printf %s secret | pw-test auth encode pbkdf2_sha256 abc 1000 >actual &&
	test_cmp expect actual
'

test_expect_success 'pbkdf2_sha256: non-ASCII password as UTF-8 bytes' '
	echo "pbkdf2_sha256\$1000\$abc\$Eo8lIZQgfSVXEdpyVOpGkWx8dthOWeCedQeM3KNeIgU=" >expect &&
	printf "s\303\251cret" | pw-test auth encode pbkdf2_sha256 abc 1000 >actual &&
	test_cmp expect actual
'

test_expect_success 'pbkdf2_sha1: secret, abc, 1000 (Django vector)' '
	echo "pbkdf2_sha1\$1000\$abc\$l2H2oogsryV2Lw9a7h1z7xkcW8k=" >expect &&
	printf %s secret | pw-test auth encode pbkdf2_sha1 abc 1000 >actual &&
	test_cmp expect actual
'

test_expect_success 'the vectors verify, and are old enough to re-hash' '
	check secret "pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" >out &&
	check "s$(printf "\303\251")cret" "pbkdf2_sha256\$1000\$abc\$Eo8lIZQgfSVXEdpyVOpGkWx8dthOWeCedQeM3KNeIgU=" >>out &&
	check secret "pbkdf2_sha1\$1000\$abc\$l2H2oogsryV2Lw9a7h1z7xkcW8k=" >>out &&
	printf "match rehash\nmatch rehash\nmatch rehash\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a wrong password does not match' '
	test_expect_code 1 check Secret "pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" &&
	test_expect_code 1 check "secret " "pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" &&
	test_expect_code 1 check "" "pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" &&
	test_expect_code 1 check "sécret" "pbkdf2_sha1\$1000\$abc\$l2H2oogsryV2Lw9a7h1z7xkcW8k="
'

test_expect_success 'tampered fields do not match' '
	# iterations changed, leading zero, salt changed, hash truncated,
	# extra field, absurd iteration count, empty salt kept literal
	for s in \
		"pbkdf2_sha256\$1001\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"pbkdf2_sha256\$01000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"pbkdf2_sha256\$1000\$abd\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM" \
		"pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=\$" \
		"pbkdf2_sha256\$99999999999\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"pbkdf2_sha256\$1000\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"pbkdf2_sha256\$\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"pbkdf2_sha512\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM="
	do
		test_expect_code 1 check secret "$s" || return 1
	done
'

test_expect_success 'any salt length and alphabet verifies (Go: 30-char base64url)' '
	for salt in x 0123456789ab 0123456789abcdefghijkl \
		Ab-_cdefghijklmnopqrstuvwxyz01 "a b+c/d=e"
	do
		h=$(printf %s "pässwörd" | pw-test auth encode pbkdf2_sha256 "$salt" 1200) &&
		check "pässwörd" "$h" >/dev/null || return 1
	done
'

test_expect_success 'legacy salted md5 only with AUTH_ALLOW_MD5' '
	h="md5\$abc\$33e7cb694fb6fb2f848af6774d9ff138" &&
	test_expect_code 1 check secret "$h" >out &&
	echo "no match" >expect && test_cmp expect out &&
	check secret "$h" -m >out &&
	echo "match rehash" >expect && test_cmp expect out &&
	test_expect_code 1 check secreT "$h" -m &&
	test_expect_code 1 check secret "$h" -a
'

test_expect_success 'pre-1.4 forms only with AUTH_ALLOW_ANCIENT' '
	for h in "sha1\$abc\$de0a408ef519cd62e7379039634152874895c50c" \
		5ebe2294ecd0e0f08eab7690d2a6ee69 \
		"md5\$\$5ebe2294ecd0e0f08eab7690d2a6ee69" \
		"sha1\$\$e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"
	do
		test_expect_code 1 check secret "$h" -m >/dev/null &&
		check secret "$h" -a >out &&
		echo "match rehash" >expect && test_cmp expect out &&
		test_expect_code 1 check secrets "$h" -a >/dev/null || return 1
	done
'

test_expect_success 'unusable and unknown hashes never match' '
	for h in "" "!" "!8XuW0wXoqFGvIfDfbBUjSL2rdaGBlUyUwJk4gzo7" \
		"!pbkdf2_sha256\$1000\$abc\$ezAwPW/wuspSU83Z4aU2LP5+de/RqK3RFrreZbJFqEM=" \
		"argon2\$argon2id\$v=19\$m=102400,t=2,p=8\$c2FsdA\$aGFzaA" \
		"bcrypt_sha256\$\$2b\$12\$abcdefghijklmnopqrstuv" secret
	do
		test_expect_code 1 check secret "$h" -m -a >/dev/null &&
		test_expect_code 1 check "" "$h" -m -a >/dev/null || return 1
	done
'

test_expect_success 'an unusable password still costs a PBKDF2 (timing)' '
	# At 1000000 iterations one check takes tens of milliseconds; a
	# shortcut would take about one.
	for h in "!" "md5\$abc\$33e7cb694fb6fb2f848af6774d9ff138" "x\$y"; do
		start=$(date +%s%N) &&
		printf secret | test_expect_code 1 pw-test auth check "$h" &&
		end=$(date +%s%N) &&
		echo "$h: $(( (end - start) / 1000000 )) ms" &&
		test $(( (end - start) / 1000000 )) -ge 20 || return 1
	done
'

test_expect_success 'hash families and rehash advice' '
	cat >expect <<-\EOF &&
	pbkdf2_sha256 current
	pbkdf2_sha256 current
	pbkdf2_sha256 current
	pbkdf2_sha256 rehash
	pbkdf2_sha256 rehash
	pbkdf2_sha256 rehash
	pbkdf2_sha1 rehash
	md5 rehash
	sha1 rehash
	unsalted_md5 rehash
	unsalted_md5 rehash
	unusable rehash
	unusable rehash
	unknown rehash
	EOF
	{
		pw-test auth kind "pbkdf2_sha256\$1000000\$abcdefghijklmnopqrstuv\$x" &&
		pw-test auth kind "pbkdf2_sha256\$1200000\$abcdefghijklmnopqrstuv\$x" &&
		pw-test auth kind "pbkdf2_sha256\$1000000\$Ab-_cdefghijklmnopqrstuvwxyz01\$x" &&
		pw-test auth kind "pbkdf2_sha256\$870000\$Ab-_cdefghijklmnopqrstuvwxyz01\$x" &&
		pw-test auth kind "pbkdf2_sha256\$600000\$abcdefghijklmnopqrstuv\$x" &&
		pw-test auth kind "pbkdf2_sha256\$1000000\$abcdefghijkl\$x" &&
		pw-test auth kind "pbkdf2_sha1\$1000000\$abcdefghijklmnopqrstuv\$x" &&
		pw-test auth kind "md5\$abc\$33e7cb694fb6fb2f848af6774d9ff138" &&
		pw-test auth kind "sha1\$\$e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4" &&
		pw-test auth kind 5ebe2294ecd0e0f08eab7690d2a6ee69 &&
		pw-test auth kind "md5\$\$5ebe2294ecd0e0f08eab7690d2a6ee69" &&
		pw-test auth kind "!xyz" &&
		pw-test auth kind "" &&
		pw-test auth kind "scrypt\$16384\$salt\$8\$1\$hash"
	} >actual &&
	test_cmp expect actual
'

test_expect_success 'new hashes: pbkdf2_sha256, 1000000, 22-char salt, fresh each time' '
	printf %s "correct horse" | pw-test auth make >h1 &&
	printf %s "correct horse" | pw-test auth make >h2 &&
	grep -E "^pbkdf2_sha256\\\$1000000\\\$[A-Za-z0-9]{22}\\\$[A-Za-z0-9+/]{43}=\$" h1 &&
	! test_cmp h1 h2 >/dev/null &&
	check "correct horse" "$(cat h1)" >out &&
	echo match >expect && test_cmp expect out &&
	test_expect_code 1 check "correct horse " "$(cat h1)" >/dev/null
'

test_expect_success 'new hashes agree with an independent PBKDF2 (python3)' '
	if ! command -v python3 >/dev/null; then echo "no python3, skipped"; exit 0; fi &&
	printf %s "pässwörd" | pw-test auth make >h &&
	python3 -c "
import base64, hashlib, sys
alg, it, salt, b64 = open(\"h\").read().strip().split(\"\$\")
dk = hashlib.pbkdf2_hmac(\"sha256\", \"pässwörd\".encode(), salt.encode(), int(it))
sys.exit(0 if base64.b64encode(dk).decode() == b64 else 1)"
'

test_expect_success 'an empty password can be hashed and only it matches' '
	printf "" | pw-test auth encode pbkdf2_sha256 abcdefghijklmnopqrstuv 1000 >h &&
	check "" "$(cat h)" >/dev/null &&
	test_expect_code 1 check " " "$(cat h)" >/dev/null
'

test_expect_success 'unusable passwords: "!" and 40 characters, never matching' '
	pw-test auth unusable >u &&
	grep -E "^![A-Za-z0-9]{40}\$" u &&
	test_expect_code 1 check "$(cut -c2- u)" "$(cat u)" >/dev/null
'

test_expect_success 'tokens: 40 lowercase hex, all different' '
	for i in 1 2 3 4 5 6 7 8; do pw-test auth token || return 1; done >tok &&
	test $(grep -cE "^[0-9a-f]{40} valid\$" tok) = 8 &&
	test $(sort -u tok | wc -l) = 8
'

test_expect_success 'salts use the whole alphabet' '
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		pw-test auth unusable || return 1
	done | cut -c2- | fold -w1 | sort -u >chars &&
	test $(wc -l <chars) -ge 55
'

test_done
