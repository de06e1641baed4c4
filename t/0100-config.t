#!/bin/sh
# Configuration: the annotated default file, errors as file:line, and
# which file wins.
. "$(dirname "$0")"/lib.sh

test_expect_success 'pw config prints a default file that parses cleanly' '
	pw config >default.conf &&
	pw config -c default.conf -n >out &&
	echo "configuration OK" >expect &&
	test_cmp expect out
'

test_expect_success 'every key of the default file is explained' '
	grep -c "^	[a-z_]* = " default.conf >nkeys &&
	test "$(cat nkeys)" -ge 20 &&
	awk "/^	[a-z_]* = / && prev !~ /^	#/ { print; bad = 1 } { prev = \$0 } END { exit bad }" default.conf &&
	for s in database http ingress mail log; do
		grep "^$s {" default.conf || return 1
	done
'

# The values read back equal the defaults (show prints the same layout).
strip_header() { grep -v "^# Every key may be left out"; }

test_expect_success 'the default file reads back as the defaults' '
	pw config -c default.conf -s | strip_header >shown &&
	strip_header <default.conf >expect &&
	test_cmp expect shown &&
	pw config -s | strip_header >shown &&
	test_cmp expect shown
'

test_expect_success 'values are read, sizes take suffixes' '
	cat >site.conf <<-\EOF &&
	# a comment
	database {
		url = "host=/run/postgresql dbname=pw"   # trailing comment
		statement_timeout = 0
	}
	/* a block
	   comment */
	http {
		base_url = "https://patchwork.example.org"
		max_body = 1048576
		workers = 16
	}
	ingress { max_message_size = 100M list_id = "linux.example.org" }
	log { syslog = true facility = local3 verbose = 2 }
	mail { notifications = false }
	EOF
	pw config -c site.conf -s >shown &&
	grep "^	url = \"host=/run/postgresql dbname=pw\"$" shown &&
	grep "^	statement_timeout = 0$" shown &&
	grep "^	base_url = \"https://patchwork.example.org\"$" shown &&
	grep "^	max_body = 1M$" shown &&
	grep "^	workers = 16$" shown &&
	grep "^	max_message_size = 100M$" shown &&
	grep "^	list_id = \"linux.example.org\"$" shown &&
	grep "^	syslog = true$" shown &&
	grep "^	facility = \"local3\"$" shown &&
	grep "^	notifications = false$" shown &&
	pw config -c shown -s >again &&
	test_cmp shown again
'

test_expect_success 'double quotes expand ${VAR}; single quotes do not' '
	cat >env.conf <<-\EOF &&
	mail {
		from = "pw@${PW_TEST_DOMAIN}"
		sendmail = '"'"'/bin/echo ${HOME}'"'"'
	}
	EOF
	PW_TEST_DOMAIN=example.net pw config -c env.conf -s >shown &&
	grep "^	from = \"pw@example.net\"$" shown &&
	grep "^	sendmail = \"/bin/echo \\\\\${HOME}\"$" shown &&
	PW_TEST_DOMAIN=example.net pw config -c shown -s >again &&
	test_cmp shown again
'

# config_error FILE-CONTENT EXPECTED-MESSAGE: exit 78, exactly that on stderr.
config_error() {
	printf "$1" >bad.conf &&
	test_expect_code 78 pw config -c bad.conf -n >out 2>err &&
	test_must_be_empty out &&
	echo "$2" >expect &&
	test_cmp expect err
}

test_expect_success 'an unknown key: file:line, 78' '
	config_error "database {\n\turl = \"x\"\n\tfoo = 1\n}\n" \
		"bad.conf:3: no such option '"'"'foo'"'"'"
'

test_expect_success 'an unknown section: file:line, 78' '
	config_error "# top\n\nweb {\n}\n" "bad.conf:3: no such option '"'"'web'"'"'"
'

test_expect_success 'line numbers count comments right' '
	config_error "# one\n# two\n/* three\nfour */\nhttp { # five\n\tworkers = x\n}\n" \
		"bad.conf:6: invalid integer value for option '"'"'workers'"'"'"
'

test_expect_success 'a wrong type: file:line, 78' '
	config_error "log {\n\tsyslog = perhaps\n}\n" \
		"bad.conf:2: invalid boolean value for option '"'"'syslog'"'"'"
'

test_expect_success 'a value out of range: file:line, 78' '
	config_error "http {\n\n\tworkers = 0\n}\n" \
		"bad.conf:3: http.workers: 0 is out of range (1 to 1024)" &&
	config_error "ingress {\n\tmax_message_size = 2G\n}\n" \
		"bad.conf:2: ingress.max_message_size: 2147483648 is out of range (1024 to 1073741824)" &&
	config_error "http {\n\tmax_body = 10X\n}\n" \
		"bad.conf:2: invalid size '"'"'10X'"'"' for option '"'"'max_body'"'"' (bytes, or a number with K, M or G)"
'

test_expect_success 'an invalid string value: file:line, 78' '
	config_error "http {\n\tbase_url = \"https://example.org/\"\n}\n" \
		"bad.conf:2: http.base_url: invalid value '"'"'https://example.org/'"'"'" &&
	config_error "log {\n\tfacility = kernel\n}\n" \
		"bad.conf:2: log.facility: invalid value '"'"'kernel'"'"'"
'

test_expect_success 'keys that disagree: 78' '
	config_error "http {\n\tpage_size = 300\n}\n" \
		"bad.conf:0: http.page_size (300) is larger than http.max_page_size (250)"
'

test_expect_success 'a missing closing brace: 78' '
	config_error "http {\n\tworkers = 2\n" \
		"bad.conf:3: missing '"'"'}'"'"' for the section opened on line 1"
'

test_expect_success 'an unreadable file: file:0, 78' '
	test_expect_code 78 pw config -c nonexistent.conf -n 2>err &&
	echo "nonexistent.conf:0: cannot read: No such file or directory" >expect &&
	test_cmp expect err &&
	mkdir dir.conf &&
	test_expect_code 78 pw config -c dir.conf -n 2>err &&
	echo "dir.conf:0: cannot read: Is a directory" >expect &&
	test_cmp expect err &&
	test_expect_code 78 env PW_CONFIG=nonexistent.conf pw config -n 2>err &&
	grep "^nonexistent.conf:0: " err
'

if [ "$(id -u)" != 0 ]; then
test_expect_success 'a file without read permission: 78' '
	echo >noperm.conf && chmod 000 noperm.conf &&
	test_expect_code 78 pw config -c noperm.conf -n 2>err &&
	grep "^noperm.conf:0: cannot read: Permission denied$" err
'
fi

test_expect_success '-c beats PW_CONFIG, which beats the default file' '
	printf "http {\n\tworkers = 2\n}\n" >a.conf &&
	printf "http {\n\tworkers = 3\n}\n" >b.conf &&
	PW_CONFIG=a.conf pw config -s | grep "^	workers = 2$" &&
	PW_CONFIG=a.conf pw config -c b.conf -s | grep "^	workers = 3$" &&
	PW_CONFIG=a.conf pw -c b.conf config -s | grep "^	workers = 3$" &&
	PW_CONFIG=a.conf pw config -c default.conf -s | grep "^	workers = 4$"
'

test_expect_success 'without -c or PW_CONFIG, an absent default file means defaults' '
	deffile=$(sed -n "s/^# else \$PW_CONFIG, else \(.*\)\.$/\1/p" default.conf) &&
	test -n "$deffile" &&
	if [ -e "$deffile" ]; then
		say "skipped: $deffile exists on this machine"
	else
		env -u PW_CONFIG pw config -s | strip_header >shown &&
		strip_header <default.conf >expect &&
		test_cmp expect shown
	fi
'

test_expect_success 'PW_DATABASE_URL and --database-url override database.url' '
	PW_DATABASE_URL="dbname=other" pw config -c default.conf -s |
		grep "^	url = \"dbname=other\"$" &&
	pw --database-url "dbname=third" config -s | grep "^	url = \"dbname=third\"$"
'

test_expect_success 'pw config check and -n agree' '
	pw config check >out && grep "^configuration OK$" out &&
	test_expect_code 78 pw config -c nonexistent.conf check
'

test_expect_success 'usage errors give 64' '
	test_expect_code 64 pw config -x &&
	test_expect_code 64 pw config frobnicate &&
	test_expect_code 64 pw config check extra
'

test_done
