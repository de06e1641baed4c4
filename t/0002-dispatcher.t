#!/bin/sh
# pw: the git-like dispatcher.
. "$(dirname "$0")"/lib.sh

test_expect_success 'pw --help lists the commands with a description' '
	pw --help >out 2>err &&
	test_must_be_empty err &&
	grep "^usage: pw " out &&
	grep "^   config  *print the default configuration" out &&
	grep "^   db  *database schema" out &&
	! grep "^   test" out
'

test_expect_success 'pw help is pw --help' '
	pw --help >expect &&
	pw help >out &&
	test_cmp expect out &&
	pw -h >out &&
	test_cmp expect out
'

test_expect_success 'pw --version' '
	pw --version >out &&
	grep -E "^pw $(cat "$SRC_DIR/VERSION") \(schema [0-9]+\)$" out
'

test_expect_success 'no command: usage on stderr, 64' '
	test_expect_code 64 pw >out 2>err &&
	test_must_be_empty out &&
	grep "^usage: pw " err
'

test_expect_success 'an unknown command: 64 with a message' '
	test_expect_code 64 pw frobnicate 2>err &&
	grep "'"'"'frobnicate'"'"' is not a pw command" err &&
	test_expect_code 64 pw ../bin/pw-config 2>err &&
	grep "is not a pw command" err &&
	test_expect_code 64 pw "" 2>err &&
	test_expect_code 64 pw --bogus-option
'

test_expect_success 'pw NAME runs pw-NAME with the arguments' '
	pw config >out &&
	pw-config >expect &&
	test_cmp expect out &&
	test_expect_code 64 pw db 2>err &&
	grep "^usage: pw db" err
'

test_expect_success 'arguments pass through unchanged' '
	printf "http {\n\tworkers = 7\n}\n" >"my file.conf" &&
	pw config -c "my file.conf" -s >out &&
	grep "^	workers = 7$" out
'

test_expect_success '-c FILE passes through as PW_CONFIG' '
	pw -c "my file.conf" config -s >out &&
	grep "^	workers = 7$" out &&
	pw --config="my file.conf" config -s >out &&
	grep "^	workers = 7$" out &&
	test_expect_code 78 pw -c nonexistent.conf config -n 2>err &&
	grep "^nonexistent.conf:0: " err
'

test_expect_success '--database-url passes through as PW_DATABASE_URL' '
	pw --database-url "dbname=elsewhere" config -s >out &&
	grep "^	url = \"dbname=elsewhere\"$" out &&
	pw --database-url="dbname=x" config -s >out &&
	grep "^	url = \"dbname=x\"$" out
'

test_expect_success 'programs are found in PW_LIBEXECDIR' '
	mkdir libexec &&
	cp "$PW_BIN/pw-config" libexec/pw-hello &&
	PW_LIBEXECDIR=$PWD/libexec pw hello >out &&
	pw-config >expect &&
	test_cmp expect out &&
	PW_LIBEXECDIR=$PWD/libexec pw --help >out &&
	grep "^   hello  *print the default configuration" out
'

test_expect_success 'pw-* programs that are not ours are neither run nor listed' '
	mkdir other &&
	printf "#!/bin/sh\necho PipeWire\n" >other/pw-cat &&
	chmod +x other/pw-cat &&
	test_expect_code 64 env PW_LIBEXECDIR=$PWD/other pw cat >out 2>err &&
	! grep PipeWire out &&
	PW_LIBEXECDIR=$PWD/other pw --help >out &&
	! grep "^   cat" out &&
	grep "^   config" out
'

test_expect_success 'pw through a symlink still finds its programs' '
	ln -s "$PW_BIN/pw" mypw &&
	./mypw config >out &&
	pw-config >expect &&
	test_cmp expect out
'

test_done
