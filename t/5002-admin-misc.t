#!/bin/sh
# pw admin: tokens, maintainers, states, tags, delegation rules, and the
# exit statuses shared by every command.
. "$(dirname "$0")"/lib.sh

test_setup_db

q() {
	sql -c "$1"
}

test_expect_success 'setup: two projects, three users' '
	pw admin project create -n Linux -l linux -i linux.example.org -e l@example.org &&
	pw admin project create -n Git -l git -i git.example.org -e g@example.org &&
	for u in ann ben cid; do
		pw admin user create -u $u -e $u@example.org --no-password </dev/null || return 1
	done >/dev/null
'

# Tokens

test_expect_success 'user token creates a token once, then prints the same' '
	pw admin user token ann >t1 &&
	grep -E "^[0-9a-f]{40}\$" t1 &&
	pw admin user token ann >t2 &&
	test_cmp t1 t2 &&
	q "SELECT t.key FROM auth_token t JOIN auth_user u ON u.id = t.user_id
		WHERE u.username = '"'"'ann'"'"'" >stored &&
	test_cmp t1 stored
'

test_expect_success 'token show prints it; token create replaces it' '
	pw admin token show ann >shown &&
	test_cmp t1 shown &&
	pw admin token create ann >t3 &&
	grep -E "^[0-9a-f]{40}\$" t3 &&
	! test_cmp t1 t3 >/dev/null &&
	test 1 = "$(q "SELECT count(*) FROM auth_token t JOIN auth_user u ON u.id = t.user_id WHERE u.username = '"'"'ann'"'"'")" &&
	test 0 = "$(q "SELECT count(*) FROM auth_token WHERE key = '"'"'$(cat t1)'"'"'")" &&
	pw admin token show ann >shown &&
	test_cmp t3 shown
'

test_expect_success 'token create for a user without one creates it' '
	pw admin token create ben >tb &&
	test 1 = "$(q "SELECT count(*) FROM auth_token WHERE key = '"'"'$(cat tb)'"'"'")"
'

test_expect_success 'token revoke deletes it; show and revoke then say 67' '
	pw admin token revoke ann &&
	test 0 = "$(q "SELECT count(*) FROM auth_token WHERE key = '"'"'$(cat t3)'"'"'")" &&
	test_expect_code 67 pw admin token show ann 2>err &&
	test_grep "user '"'"'ann'"'"' has no API token" err &&
	test_expect_code 67 pw admin token revoke ann &&
	test 1 = "$(q "SELECT count(*) FROM auth_token")"
'

test_expect_success 'tokens of unknown users: 67; missing argument: 64' '
	test_expect_code 67 pw admin user token nosuch 2>err &&
	test_grep "user '"'"'nosuch'"'"' does not exist" err &&
	test_expect_code 67 pw admin token create nosuch &&
	test_expect_code 67 pw admin token show nosuch &&
	test_expect_code 67 pw admin token revoke nosuch &&
	test_expect_code 64 pw admin token create &&
	test_expect_code 64 pw admin user token a b
'

# Maintainers

test_expect_success 'maintainer add and list' '
	pw admin maintainer add linux ben &&
	pw admin maintainer add linux ann &&
	pw admin maintainer add git ann &&
	printf "ann\tann@example.org\nben\tben@example.org\n" >expect &&
	pw admin maintainer list linux >actual &&
	test_cmp expect actual &&
	echo "ann|git
ann|linux
ben|linux" >expect &&
	q "SELECT u.username, p.linkname FROM project_maintainer m
		JOIN auth_user u ON u.id = m.user_id JOIN project p ON p.id = m.project_id
		ORDER BY 1, 2" >actual &&
	test_cmp expect actual
'

test_expect_success 'maintainer add twice is 65; unknown project or user 67' '
	test_expect_code 65 pw admin maintainer add linux ben 2>err &&
	test_grep "user '"'"'ben'"'"' is already a maintainer of '"'"'linux'"'"'" err &&
	test_expect_code 67 pw admin maintainer add nosuch ben 2>err &&
	test_grep "project '"'"'nosuch'"'"' does not exist" err &&
	test_expect_code 67 pw admin maintainer add linux nosuch 2>err &&
	test_grep "user '"'"'nosuch'"'"' does not exist" err &&
	test_expect_code 67 pw admin maintainer list nosuch &&
	test_expect_code 64 pw admin maintainer add linux &&
	test 3 = "$(q "SELECT count(*) FROM project_maintainer")"
'

test_expect_success 'maintainer remove; removing a non-maintainer is 67' '
	pw admin maintainer remove linux ben &&
	printf "ann\tann@example.org\n" >expect &&
	pw admin maintainer list linux >actual &&
	test_cmp expect actual &&
	test_expect_code 67 pw admin maintainer remove linux ben 2>err &&
	test_grep "user '"'"'ben'"'"' is not a maintainer of '"'"'linux'"'"'" err &&
	pw admin maintainer list git >actual &&
	test_cmp expect actual
'

# States

test_expect_success 'state list shows the seeded states by ordering' '
	cat >expect <<-\EOF &&
	1	New	new	0	yes
	2	Under Review	under-review	1	yes
	3	Accepted	accepted	2	no
	4	Rejected	rejected	3	no
	5	RFC	rfc	4	no
	6	Not Applicable	not-applicable	5	no
	7	Changes Requested	changes-requested	6	no
	8	Awaiting Upstream	awaiting-upstream	7	no
	9	Superseded	superseded	8	no
	10	Deferred	deferred	9	no
	EOF
	pw admin state list >actual &&
	test_cmp expect actual
'

test_expect_success 'state create (-n -s -o --action-required) prints the id' '
	pw admin state create -n "Needs Testing" -s needs-testing -o 10 --action-required >id &&
	pw admin state create --name Queued --slug queued --ordering 11 >/dev/null &&
	echo "Needs Testing|needs-testing|10|t
Queued|queued|11|f" >expect &&
	q "SELECT name, slug, ordering, action_required FROM state WHERE id >= $(cat id) ORDER BY id" >actual &&
	test_cmp expect actual
'

test_expect_success 'state create: duplicates 65, bad slug 65, bad ordering or missing option 64' '
	test_expect_code 65 pw admin state create -n X -s new -o 50 2>err &&
	test_grep "slug '"'"'new'"'"' is already in use" err &&
	test_expect_code 65 pw admin state create -n X -s x -o 0 2>err &&
	test_grep "ordering 0 is already in use" err &&
	test_expect_code 65 pw admin state create -n New -s x -o 50 2>err &&
	test_grep "name '"'"'New'"'"' is already in use" err &&
	test_expect_code 65 pw admin state create -n X -s "a b" -o 50 &&
	test_expect_code 64 pw admin state create -n X -s x -o ten &&
	test_expect_code 64 pw admin state create -n X -s x -o 99999999999 &&
	test_expect_code 64 pw admin state create -n X -s x &&
	test 12 = "$(q "SELECT count(*) FROM state")"
'

test_expect_success 'state update renames, reorders and flips action-required' '
	pw admin state update queued -n "In Queue" -s in-queue -o 20 --action-required &&
	echo "In Queue|in-queue|20|t" >expect &&
	q "SELECT name, slug, ordering, action_required FROM state WHERE slug = '"'"'in-queue'"'"'" >actual &&
	test_cmp expect actual &&
	pw admin state update in-queue --no-action-required &&
	test f = "$(q "SELECT action_required FROM state WHERE slug = '"'"'in-queue'"'"'")" &&
	test_expect_code 67 pw admin state update queued -n X &&
	test_expect_code 65 pw admin state update in-queue -o 0 &&
	test_expect_code 64 pw admin state update in-queue
'

test_expect_success 'a state in use cannot be deleted (65); an unused one can' '
	q "INSERT INTO person (email) VALUES ('"'"'s@example.org'"'"')" >/dev/null &&
	q "INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
		SELECT p.id, '"'"'<1@x>'"'"', now(), '"'"'one'"'"', s.id, st.id, '"'"''"'"'
		FROM project p, person s, state st
		WHERE p.linkname = '"'"'linux'"'"' AND st.slug = '"'"'needs-testing'"'"'" >/dev/null &&
	test_expect_code 65 pw admin state delete -f needs-testing 2>err &&
	test_grep "state '"'"'needs-testing'"'"' is still in use" err &&
	test 1 = "$(q "SELECT count(*) FROM state WHERE slug = '"'"'needs-testing'"'"'")" &&
	echo n | test_expect_code 1 pw admin state delete in-queue &&
	echo y | pw admin state delete in-queue 2>/dev/null &&
	test 0 = "$(q "SELECT count(*) FROM state WHERE slug = '"'"'in-queue'"'"'")" &&
	test_expect_code 67 pw admin state delete -f in-queue
'

# Tags

test_expect_success 'tag list shows the seeded tags' '
	printf "1\tAcked-by\tA\t^Acked-by:\tyes\n2\tReviewed-by\tR\t^Reviewed-by:\tyes\n3\tTested-by\tT\t^Tested-by:\tyes\n" >expect &&
	pw admin tag list >actual &&
	test_cmp expect actual
'

test_expect_success 'tag create (-n -p -a, --no-show-column) prints the id' '
	pw admin tag create -n Reported-by -p "^Reported-by:" -a Rp >id &&
	pw admin tag create -n Fixes -p "^Fixes: [0-9a-f]+" -a F --no-show-column >/dev/null &&
	echo "Reported-by|^Reported-by:|Rp|t
Fixes|^Fixes: [0-9a-f]+|F|f" >expect &&
	q "SELECT name, pattern, abbrev, show_column FROM tag WHERE id >= $(cat id) ORDER BY id" >actual &&
	test_cmp expect actual
'

test_expect_success 'tag create: bad pattern 65, duplicate abbrev 65, missing option 64' '
	test_expect_code 65 pw admin tag create -n X -p "^(X" -a X 2>err &&
	test_grep "not a valid regular expression" err &&
	test_expect_code 65 pw admin tag create -n X -p "" -a X &&
	test_expect_code 65 pw admin tag create -n X -p "^X:" -a A 2>err &&
	test_grep "abbreviation '"'"'A'"'"' is already in use" err &&
	test_expect_code 64 pw admin tag create -n X -p "^X:" &&
	test 5 = "$(q "SELECT count(*) FROM tag")"
'

test_expect_success 'tag update by name or by abbreviation' '
	pw admin tag update Fixes --show-column -p "^Fixes:" &&
	pw admin tag update Rp -n Reported -a RP &&
	echo "Reported|^Reported-by:|RP|t
Fixes|^Fixes:|F|t" >expect &&
	q "SELECT name, pattern, abbrev, show_column FROM tag WHERE id >= $(cat id) ORDER BY id" >actual &&
	test_cmp expect actual &&
	test_expect_code 67 pw admin tag update nosuch -n X &&
	test_expect_code 65 pw admin tag update Fixes -a A &&
	test_expect_code 65 pw admin tag update Fixes -p "(" &&
	test_expect_code 64 pw admin tag update Fixes
'

test_expect_success 'tag delete; a name two tags share is ambiguous (65)' '
	pw admin tag create -n Twin -p "^Twin:" -a T1 >/dev/null &&
	pw admin tag create -n Twin -p "^Twin2:" -a T2 >/dev/null &&
	test_expect_code 65 pw admin tag delete -f Twin 2>err &&
	test_grep "2 tags have that name" err &&
	pw admin tag delete -f T1 &&
	pw admin tag delete -f Twin &&
	echo n | test_expect_code 1 pw admin tag delete Reported &&
	pw admin tag delete --force Reported &&
	test_expect_code 67 pw admin tag delete -f Reported &&
	test "Acked-by Fixes Reviewed-by Tested-by" = "$(q "SELECT string_agg(name, '"'"' '"'"' ORDER BY name) FROM tag")"
'

# Delegation rules

test_expect_success 'delegate-rule create/add and list, highest priority first' '
	pw admin delegate-rule create --project linux --user ann --path "drivers/net/*" >r1 &&
	pw admin delegate-rule create --project linux --user ben --path "net/*" --priority 10 >r2 &&
	pw admin delegate-rule add --project linux --user cid --path "Documentation/*" --priority -1 >r3 &&
	pw admin delegate-rule add --project git --user ann --path "*" >/dev/null &&
	printf "%s\t%s\t%s\t%s\n" \
		$(cat r2) "net/*" 10 ben \
		$(cat r1) "drivers/net/*" 0 ann \
		$(cat r3) "Documentation/*" -1 cid >expect &&
	pw admin delegate-rule list linux >actual &&
	test_cmp expect actual
'

test_expect_success 'delegate-rule create: duplicate path 65, unknown 67, bad priority 64' '
	test_expect_code 65 pw admin delegate-rule create --project linux --user cid --path "net/*" 2>err &&
	test_grep "already has a rule" err &&
	test_expect_code 67 pw admin delegate-rule create --project nosuch --user cid --path x &&
	test_expect_code 67 pw admin delegate-rule create --project linux --user nosuch --path x &&
	test_expect_code 64 pw admin delegate-rule create --project linux --user cid --path x --priority high &&
	test_expect_code 64 pw admin delegate-rule create --project linux --user cid &&
	test_expect_code 67 pw admin delegate-rule list nosuch &&
	test 4 = "$(q "SELECT count(*) FROM delegation_rule")"
'

test_expect_success 'delegate-rule delete by id, or by project and path' '
	pw admin delegate-rule delete -f $(cat r1) &&
	echo y | pw admin delegate-rule remove --project linux --path "net/*" 2>/dev/null &&
	printf "%s\t%s\t%s\t%s\n" $(cat r3) "Documentation/*" -1 cid >expect &&
	pw admin delegate-rule list linux >actual &&
	test_cmp expect actual &&
	echo n | test_expect_code 1 pw admin delegate-rule delete $(cat r3) &&
	test_expect_code 67 pw admin delegate-rule delete -f $(cat r1) &&
	test_expect_code 67 pw admin delegate-rule delete -f --project linux --path "net/*" &&
	test_expect_code 64 pw admin delegate-rule delete -f &&
	test_expect_code 64 pw admin delegate-rule delete -f x &&
	test_expect_code 64 pw admin delegate-rule delete -f 1 --project linux
'

test_expect_success 'deleting a user takes their rules and maintainerships along' '
	pw admin user delete -f cid &&
	pw admin delegate-rule list linux >actual &&
	test_must_be_empty actual
'

# Shared exit statuses

test_expect_success 'unknown object or verb, no arguments: 64 with the usage' '
	test_expect_code 64 pw admin 2>err &&
	test_grep "usage: pw admin" err &&
	test_expect_code 64 pw admin frob list 2>err &&
	test_grep "unknown object '"'"'frob'"'"'" err &&
	test_expect_code 64 pw admin tag frob 2>err &&
	test_grep "unknown command '"'"'frob'"'"'" err &&
	test_grep "pw admin tag create" err &&
	test_expect_code 64 pw admin --frob project list &&
	pw admin help state >out &&
	test_grep "pw admin state update" out
'

test_expect_success 'an unreachable database is 75 (try again)' '
	test_expect_code 75 env PW_DATABASE_URL="host=$TRASH/nowhere dbname=patchwork" \
		pw admin project list
'

test_expect_success 'a bad configuration file is 78' '
	echo "no_such_key = 1" >bad.conf &&
	test_expect_code 78 pw admin -c bad.conf project list 2>err &&
	test_grep "bad.conf" err
'

test_expect_success 'a database without the schema is 78 (needs pw db sync)' '
	"$PG_BINDIR/createdb" -h "$PGHOST" -U postgres empty &&
	test_expect_code 78 env PW_DATABASE_URL="host=$PGHOST user=postgres dbname=empty" \
		pw admin project list
'

test_done
