#!/bin/sh
# pw admin user: create, passwords, list, show, update, passwd, delete.
. "$(dirname "$0")"/lib.sh

test_setup_db

# q: one SQL value.
q() {
	sql -c "$1"
}

# stored USER: the password column of USER.
stored() {
	q "SELECT password FROM auth_user WHERE username = '$1'"
}

test_expect_success 'create with --password-stdin stores a Django pbkdf2_sha256 hash' '
	printf "correct horse\n" |
		pw admin user create -u alice -e alice@example.org --password-stdin >id &&
	test "$(cat id)" = "$(q "SELECT id FROM auth_user WHERE username = '"'"'alice'"'"'")" &&
	echo "alice@example.org|t|f|||" >expect &&
	q "SELECT email, is_active, is_admin, first_name, last_name, last_login
		FROM auth_user WHERE username = '"'"'alice'"'"'" >actual &&
	test_cmp expect actual &&
	stored alice >hash &&
	grep -E "^pbkdf2_sha256\\\$1000000\\\$[A-Za-z0-9]{22}\\\$[A-Za-z0-9+/]{43}=\$" hash
'

test_expect_success 'the stored password verifies, and only it' '
	printf "correct horse" | pw-test auth check "$(cat hash)" >out &&
	echo match >expect && test_cmp expect out &&
	printf "correct horse\n" | test_expect_code 1 pw-test auth check -n "$(cat hash)" &&
	printf "correct hors" | test_expect_code 1 pw-test auth check -n "$(cat hash)"
'

test_expect_success '--password-stdin takes the first line only, without CR LF' '
	printf "two words\r\nignored\n" |
		pw admin user create -u crlf -e c@example.org --password-stdin >/dev/null &&
	printf "two words" | pw-test auth check "$(stored crlf)"
'

test_expect_success '--admin, --first-name and --last-name' '
	printf "pw\n" | pw admin user create --username root2 --email r@example.org \
		--admin --first-name Ada --last-name Lovelace --password-stdin >/dev/null &&
	echo "t|Ada|Lovelace" >expect &&
	q "SELECT is_admin, first_name, last_name FROM auth_user WHERE username = '"'"'root2'"'"'" >actual &&
	test_cmp expect actual
'

test_expect_success '--no-password stores an unusable password' '
	pw admin user create -u bot -e bot@example.org --no-password </dev/null >/dev/null &&
	stored bot | grep -E "^![A-Za-z0-9]{40}\$"
'

test_expect_success 'usernames are case-sensitive: Alice and alice are two users' '
	printf "x\n" | pw admin user create -u Alice -e a2@example.org --password-stdin >/dev/null &&
	test 2 = "$(q "SELECT count(*) FROM auth_user WHERE lower(username) = '"'"'alice'"'"'")"
'

test_expect_success 'a duplicate username is refused (65)' '
	printf "x\n" | test_expect_code 65 pw admin user create -u alice -e other@example.org \
		--password-stdin 2>err &&
	test_grep "user '"'"'alice'"'"' already exists" err &&
	echo alice@example.org >expect &&
	q "SELECT email FROM auth_user WHERE username = '"'"'alice'"'"'" >actual &&
	test_cmp expect actual
'

test_expect_success 'bad usernames, emails and passwords are refused (65)' '
	printf "x\n" | test_expect_code 65 pw admin user create -u "a b" -e x@example.org \
		--password-stdin 2>err &&
	test_grep "invalid username" err &&
	printf "x\n" | test_expect_code 65 pw admin user create -u "a/b" -e x@example.org --password-stdin &&
	printf "x\n" | test_expect_code 65 pw admin user create -u "" -e x@example.org --password-stdin &&
	printf "x\n" | test_expect_code 65 pw admin user create -u ok -e nope --password-stdin 2>err &&
	test_grep "user '"'"'ok'"'"': invalid email '"'"'nope'"'"'" err &&
	printf "\n" | test_expect_code 65 pw admin user create -u ok -e x@example.org \
		--password-stdin 2>err &&
	test_grep "empty password" err &&
	test_expect_code 65 pw admin user create -u ok -e x@example.org --password-stdin \
		</dev/null 2>err &&
	test_grep "no password on standard input" err &&
	head -c 5000 /dev/zero | tr "\0" x | test_expect_code 65 pw admin user create \
		-u ok -e x@example.org --password-stdin 2>err &&
	test_grep "longer than 4096" err &&
	test 0 = "$(q "SELECT count(*) FROM auth_user WHERE username IN ('"'"'ok'"'"', '"'"'a b'"'"', '"'"''"'"')")"
'

test_expect_success 'usage errors are 64: missing -u/-e, no terminal, both password options' '
	test_expect_code 64 pw admin user create -e x@example.org --password-stdin </dev/null &&
	test_expect_code 64 pw admin user create -u x --password-stdin </dev/null &&
	test_expect_code 64 pw admin user create -u x -e x@example.org </dev/null 2>err &&
	test_grep "not a terminal" err &&
	test_expect_code 64 pw admin user create -u x -e x@example.org --password-stdin \
		--no-password </dev/null &&
	test_expect_code 64 pw admin user create -u x -e x@example.org --bogus </dev/null &&
	test 0 = "$(q "SELECT count(*) FROM auth_user WHERE username = '"'"'x'"'"'")"
'

# On a terminal the password is asked twice, without echo.  The fifo lets
# the script answer each prompt only once it is shown (echo is off by
# then, and typeahead was flushed).
wait_for() {
	local i=0
	until grep -q "$1" "$2"; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "timed out waiting for '$1'" >&2; return 1; }
		sleep 0.05
	done
}

# on_tty 'command' first second: run command on a pseudo-terminal and
# answer the two password prompts; its output is in tty.out.
on_tty() {
	rm -f tty.in tty.out && mkfifo tty.in && : >tty.out &&
	{ script -qefc "$1" /dev/null <tty.in >tty.out 2>&1 & } &&
	pid=$! &&
	exec 3>tty.in &&
	wait_for "Password: " tty.out &&
	printf "%s\n" "$2" >&3 &&
	wait_for "Password (again): " tty.out &&
	printf "%s\n" "$3" >&3 &&
	exec 3>&- &&
	wait $pid
}

test_expect_success 'on a terminal: asked twice, not echoed' '
	if ! command -v script >/dev/null; then echo "no script(1)"; exit 0; fi &&
	on_tty "pw admin user create -u tty -e tty@example.org" "t0p s3cret" "t0p s3cret" &&
	! grep "t0p" tty.out &&
	printf "t0p s3cret" | pw-test auth check "$(stored tty)"
'

test_expect_success 'on a terminal: two different answers are refused (65)' '
	if ! command -v script >/dev/null; then echo "no script(1)"; exit 0; fi &&
	test_expect_code 65 on_tty "pw admin user create -u tty2 -e t@example.org" one two &&
	test_grep "passwords do not match" tty.out &&
	test 0 = "$(q "SELECT count(*) FROM auth_user WHERE username = '"'"'tty2'"'"'")"
'

test_expect_success 'passwd replaces the password' '
	old=$(stored alice) &&
	printf "battery staple\n" | pw admin user passwd alice --password-stdin &&
	new=$(stored alice) &&
	test "$old" != "$new" &&
	printf "battery staple" | pw-test auth check "$new" &&
	printf "correct horse" | test_expect_code 1 pw-test auth check -n "$new"
'

test_expect_success 'passwd of an unknown user is 67, before reading a password' '
	test_expect_code 67 pw admin user passwd nosuch --password-stdin </dev/null 2>err &&
	test_grep "user '"'"'nosuch'"'"' does not exist" err &&
	test_expect_code 64 pw admin user passwd
'

test_expect_success 'passwd --no-password makes the password unusable' '
	pw admin user passwd Alice --no-password &&
	stored Alice | grep -E "^![A-Za-z0-9]{40}\$"
'

test_expect_success 'list: id, username, email, active, admin, by username' '
	q "SELECT id || chr(9) || username || chr(9) || email || chr(9) ||
		CASE WHEN is_active THEN '"'"'yes'"'"' ELSE '"'"'no'"'"' END || chr(9) ||
		CASE WHEN is_admin THEN '"'"'yes'"'"' ELSE '"'"'no'"'"' END
		FROM auth_user ORDER BY username" >expect &&
	test $(wc -l <expect) = 6 &&
	pw admin user list >actual &&
	test_cmp expect actual &&
	grep "^[0-9]*	root2	r@example.org	yes	yes\$" actual
'

test_expect_success 'show: every field, the hash family and never the hash' '
	pw admin project create -n P -l p -i p.example.org -e p@example.org >/dev/null &&
	pw admin maintainer add p root2 &&
	pw admin user show root2 >actual &&
	cat >expect <<-EOF &&
	id: $(q "SELECT id FROM auth_user WHERE username = '"'"'root2'"'"'")
	username: root2
	email: r@example.org
	first-name: Ada
	last-name: Lovelace
	active: yes
	admin: yes
	date-joined: $(q "SELECT to_char(date_joined, '"'"'YYYY-MM-DD HH24:MI:SS'"'"') FROM auth_user WHERE username = '"'"'root2'"'"'")
	last-login: 
	password: pbkdf2_sha256
	token: no
	maintainer-of: p
	EOF
	test_cmp expect actual &&
	! grep "\\\$1000000\\\$" actual
'

test_expect_success 'show names a hash that will be upgraded at the next login' '
	q "UPDATE auth_user SET password = '"'"'pbkdf2_sha256\$260000\$abc\$x'"'"' WHERE username = '"'"'crlf'"'"'" &&
	pw admin user show crlf | test_grep "^password: pbkdf2_sha256 (re-hashed at next login)\$" &&
	pw admin user show bot | test_grep "^password: unusable\$" &&
	test_expect_code 67 pw admin user show nosuch
'

test_expect_success 'update: email, names, admin, active; only what is given' '
	pw admin user update alice -e new@example.org --inactive --admin &&
	echo "new@example.org|f|t||" >expect &&
	q "SELECT email, is_active, is_admin, first_name, last_name FROM auth_user WHERE username = '"'"'alice'"'"'" >actual &&
	test_cmp expect actual &&
	pw admin user update alice --active --no-admin --first-name Alice &&
	echo "new@example.org|t|f|Alice|" >expect &&
	q "SELECT email, is_active, is_admin, first_name, last_name FROM auth_user WHERE username = '"'"'alice'"'"'" >actual &&
	test_cmp expect actual
'

test_expect_success 'update: unknown user 67, nothing to change 64, bad email 65' '
	test_expect_code 67 pw admin user update nosuch --admin &&
	test_expect_code 64 pw admin user update alice &&
	test_expect_code 65 pw admin user update alice -e "a b@example.org" &&
	test new@example.org = "$(q "SELECT email FROM auth_user WHERE username = '"'"'alice'"'"'")"
'

test_expect_success 'delete asks; "n" keeps the user (1), "y" deletes' '
	echo n | test_expect_code 1 pw admin user delete crlf 2>err &&
	test_grep "not deleted" err &&
	test 1 = "$(q "SELECT count(*) FROM auth_user WHERE username = '"'"'crlf'"'"'")" &&
	echo y | pw admin user delete crlf 2>/dev/null &&
	test 0 = "$(q "SELECT count(*) FROM auth_user WHERE username = '"'"'crlf'"'"'")"
'

test_expect_success 'delete -f: the user goes, delegated patches stay undelegated' '
	uid=$(q "SELECT id FROM auth_user WHERE username = '"'"'root2'"'"'") &&
	q "INSERT INTO person (email) VALUES ('"'"'s@example.org'"'"')" >/dev/null &&
	q "INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, delegate_id, headers)
		SELECT p.id, '"'"'<d@x>'"'"', now(), '"'"'d'"'"', s.id, 1, $uid, '"'"''"'"'
		FROM project p, person s WHERE p.linkname = '"'"'p'"'"'" >/dev/null &&
	pw admin user delete -f root2 &&
	test 0 = "$(q "SELECT count(*) FROM auth_user WHERE id = $uid")" &&
	test 0 = "$(q "SELECT count(*) FROM project_maintainer WHERE user_id = $uid")" &&
	test t = "$(q "SELECT delegate_id IS NULL FROM patch WHERE msgid = '"'"'<d@x>'"'"'")"
'

test_expect_success 'delete of an unknown user is 67' '
	test_expect_code 67 pw admin user delete -f nosuch 2>err &&
	test_grep "user '"'"'nosuch'"'"' does not exist" err
'

test_done
