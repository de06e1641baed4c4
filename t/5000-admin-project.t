#!/bin/sh
# pw admin project: create, list, show, update, delete, end to end.
. "$(dirname "$0")"/lib.sh

test_setup_db

test_expect_success 'create with the four required options prints the id' '
	pw admin project create -n "Linux Kernel" -l linux -i linux.vger.kernel.org \
		-e linux@vger.kernel.org >id &&
	test "$(cat id)" = "$(sql -c "SELECT id FROM project WHERE linkname = '"'"'linux'"'"'")" &&
	echo "Linux Kernel|linux.vger.kernel.org|linux@vger.kernel.org||||||||f|t|f|f|" >expect &&
	sql -c "SELECT name, listid, listemail, subject_match, web_url, scm_url,
		webscm_url, list_archive_url, list_archive_url_format,
		commit_url_format, send_notifications, use_tags,
		show_dependencies, auto_supersede, nav_html
		FROM project WHERE linkname = '"'"'linux'"'"'" >actual &&
	test_cmp expect actual
'

test_expect_success 'create with every field; long options; show prints them all' '
	pw admin project create --name "Net Dev" --linkname netdev \
		--list-id netdev.vger.kernel.org --list-email netdev@vger.kernel.org \
		--web-url https://netdev.example.org/ \
		--scm-url git://git.example.org/netdev.git \
		--webscm-url https://git.example.org/netdev/ \
		--list-archive-url https://lore.kernel.org/netdev/ \
		--list-archive-url-format "https://lore.kernel.org/r/{}" \
		--commit-url-format "https://git.example.org/netdev/commit/?id={}" \
		--subject-match "^\[net(-next)?\]" --send-notifications \
		--no-use-tags --show-dependencies --auto-supersede \
		--nav-html "<a href=\"/x\">x</a>" >id &&
	cat >expect <<-EOF &&
	id: $(cat id)
	name: Net Dev
	linkname: netdev
	list-id: netdev.vger.kernel.org
	list-email: netdev@vger.kernel.org
	web-url: https://netdev.example.org/
	scm-url: git://git.example.org/netdev.git
	webscm-url: https://git.example.org/netdev/
	list-archive-url: https://lore.kernel.org/netdev/
	list-archive-url-format: https://lore.kernel.org/r/{}
	commit-url-format: https://git.example.org/netdev/commit/?id={}
	subject-match: ^\[net(-next)?\]
	send-notifications: yes
	use-tags: no
	show-dependencies: yes
	auto-supersede: yes
	nav-html: <a href="/x">x</a>
	EOF
	pw admin project show netdev >actual &&
	test_cmp expect actual
'

test_expect_success 'list: id, linkname, name, list-id, list-email by linkname' '
	printf "%s\t%s\t%s\t%s\t%s\n" \
		1 linux "Linux Kernel" linux.vger.kernel.org linux@vger.kernel.org \
		2 netdev "Net Dev" netdev.vger.kernel.org netdev@vger.kernel.org >expect &&
	pw admin project list >actual &&
	test_cmp expect actual
'

test_expect_success 'a missing required option, a bad option or argument is a usage error (64)' '
	test_expect_code 64 pw admin project create -n X -l x -i x.example.org 2>err &&
	test_grep -e "--list-email is required" err &&
	test_expect_code 64 pw admin project create -n X -l x -i x -e x@x --frobnicate &&
	test_expect_code 64 pw admin project create -n X -l x -i x -e x@x extra &&
	test_expect_code 64 pw admin project show &&
	test_expect_code 64 pw admin project show a b &&
	test_expect_code 64 pw admin project frobnicate &&
	test_expect_code 64 pw admin projects list &&
	test_expect_code 64 pw admin &&
	test 2 = "$(sql -c "SELECT count(*) FROM project")"
'

test_expect_success '--help of a command prints its usage and exits 0' '
	pw admin project create --help >out &&
	test_grep -e "-n NAME -l LINKNAME -i LIST-ID -e LIST-EMAIL" out &&
	pw admin --help >out &&
	test_grep "pw admin delegate-rule create" out
'

test_expect_success 'a duplicate linkname is refused (65), naming it' '
	test_expect_code 65 pw admin project create -n Other -l linux -i other.example.org \
		-e other@example.org 2>err &&
	test_grep "linkname '"'"'linux'"'"' is already in use" err &&
	test 1 = "$(sql -c "SELECT count(*) FROM project WHERE linkname = '"'"'linux'"'"'")"
'

test_expect_success 'a duplicate name, or list-id with the same subject match, is refused (65)' '
	test_expect_code 65 pw admin project create -n "Net Dev" -l netdev2 -i n2.example.org \
		-e n@example.org 2>err &&
	test_grep "name '"'"'Net Dev'"'"' is already in use" err &&
	test_expect_code 65 pw admin project create -n L2 -l l2 -i linux.vger.kernel.org \
		-e l2@example.org 2>err &&
	test_grep "same list-id and subject match" err &&
	pw admin project create -n L3 -l l3 -i linux.vger.kernel.org -e l3@example.org \
		--subject-match "\[l3\]" >/dev/null
'

test_expect_success 'invalid values are data errors (65) naming the project' '
	test_expect_code 65 pw admin project create -n X -l "has space" -i x -e x@x.org 2>err &&
	test_grep "invalid linkname '"'"'has space'"'"'" err &&
	test_expect_code 65 pw admin project create -n X -l "a/b" -i x -e x@x.org &&
	test_expect_code 65 pw admin project create -n X -l "" -i x -e x@x.org &&
	test_expect_code 65 pw admin project create -n X -l x -i x -e not-an-address 2>err &&
	test_grep "project '"'"'x'"'"': invalid list email" err &&
	test_expect_code 65 pw admin project create -n X -l x -i x -e x@x.org \
		--subject-match "[unclosed" 2>err &&
	test_grep "not a valid regular expression" err &&
	test_expect_code 65 pw admin project create -n "" -l x -i x -e x@x.org &&
	test_expect_code 65 pw admin project create -n "$(printf "a\tb")" -l x -i x -e x@x.org &&
	test 0 = "$(sql -c "SELECT count(*) FROM project WHERE linkname IN ('"'"'x'"'"', '"'"'a/b'"'"')")"
'

test_expect_success 'a linkname may hold non-ASCII letters, - and _' '
	pw admin project create -n Ünï -l "ünï-code_1" -i u.example.org -e u@example.org >/dev/null &&
	pw admin project show "ünï-code_1" | test_grep "^linkname: ünï-code_1\$"
'

test_expect_success 'update changes only the fields given' '
	pw admin project show netdev >before &&
	pw admin project update netdev --web-url "" --scm-url git://new/netdev.git \
		--use-tags --no-send-notifications &&
	pw admin project show netdev >after &&
	sed -e "s|^web-url: .*|web-url: |" -e "s|^scm-url: .*|scm-url: git://new/netdev.git|" \
		-e "s|^use-tags: .*|use-tags: yes|" \
		-e "s|^send-notifications: .*|send-notifications: no|" before >expect &&
	test_cmp expect after
'

test_expect_success 'update can rename (-l), retitle (-n), clear nav-html' '
	pw admin project update netdev -l net -n "Networking" --nav-html "" &&
	echo "Networking||" >expect &&
	sql -c "SELECT name, nav_html, nav_html IS NULL FROM project WHERE linkname = '"'"'net'"'"'" |
		sed "s/|t\$/|/" >actual &&
	test_cmp expect actual &&
	test_expect_code 67 pw admin project show netdev
'

test_expect_success 'update: unknown project 67, nothing to change 64, duplicate 65, bad value 65' '
	test_expect_code 67 pw admin project update nosuch -n X 2>err &&
	test_grep "project '"'"'nosuch'"'"' does not exist" err &&
	test_expect_code 64 pw admin project update net &&
	test_expect_code 65 pw admin project update net -l linux &&
	test_expect_code 65 pw admin project update net --subject-match "(" &&
	test_expect_code 65 pw admin project update net -l "no spaces" &&
	pw admin project show net | test_grep "^linkname: net\$"
'

test_expect_success 'show of an unknown project is 67' '
	test_expect_code 67 pw admin project show nosuch 2>err &&
	test_grep "project '"'"'nosuch'"'"' does not exist" err
'

test_expect_success 'delete asks: anything but y/yes keeps the project (exit 1)' '
	echo n | test_expect_code 1 pw admin project delete l3 2>err &&
	test_grep "Delete project '"'"'l3'"'"'" err &&
	test_grep "not deleted" err &&
	test_expect_code 1 pw admin project delete l3 </dev/null &&
	pw admin project show l3 >/dev/null
'

test_expect_success 'delete: "yes" on stdin, or -f, deletes' '
	echo yes | pw admin project delete l3 2>/dev/null &&
	test_expect_code 67 pw admin project show l3 &&
	pw admin project delete -f "ünï-code_1" &&
	pw admin project delete --yes net </dev/null &&
	echo linux >expect &&
	sql -c "SELECT linkname FROM project" >actual &&
	test_cmp expect actual
'

test_expect_success 'delete of an unknown project is 67' '
	test_expect_code 67 pw admin project delete -f nosuch 2>err &&
	test_grep "project '"'"'nosuch'"'"' does not exist" err
'

# A project with 200,000 fat patches (2 kB of headers each: 400 MB if
# anything fetched them) goes in one DELETE that the database cascades.
# The fixture is loaded with FK triggers off (replica role) to keep the
# script fast; the DELETE runs with every constraint.
test_expect_success 'deleting a project with 200k patches: one statement, small RSS' '
	pw admin project create -n Big -l big -i big.example.org -e big@example.org >id &&
	pw admin project create -n Small -l small -i small.example.org -e s@example.org >/dev/null &&
	sql <<-EOF &&
	SET session_replication_role = replica;
	INSERT INTO person (email, name) VALUES ('"'"'a@example.org'"'"', '"'"'A'"'"');
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
	SELECT $(cat id), '"'"'<'"'"' || g || '"'"'@big>'"'"', now(), '"'"'p'"'"',
		(SELECT id FROM person), 1, repeat('"'"'h'"'"', 2000)
	FROM generate_series(1, 200000) g;
	INSERT INTO patch (project_id, msgid, date, name, submitter_id, state_id, headers)
	SELECT p.id, '"'"'<s@small>'"'"', now(), '"'"'s'"'"', (SELECT id FROM person), 1, '"'"''"'"'
	FROM project p WHERE linkname = '"'"'small'"'"';
	INSERT INTO patch_comment (patch_id, msgid, date, submitter_id, headers)
	SELECT id, '"'"'<c'"'"' || id || '"'"'>'"'"', now(), submitter_id, '"'"''"'"'
	FROM patch WHERE id % 100 = 0;
	ALTER SYSTEM SET log_statement = '"'"'all'"'"';
	SELECT pg_reload_conf();
	EOF
	test 200000 = "$(sql -c "SELECT count(*) FROM patch WHERE project_id = $(cat id)")" &&
	: >"$PGDIR/log" &&
	if /usr/bin/time -f %M true >/dev/null 2>&1; then
		/usr/bin/time -o rss -f %M pw admin project delete -f big
	else
		echo 0 >rss && pw admin project delete -f big
	fi &&
	cp "$PGDIR/log" log &&
	sql -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null &&
	test 0 = "$(sql -c "SELECT count(*) FROM patch WHERE project_id = $(cat id)")" &&
	test 0 = "$(sql -c "SELECT count(*) FROM patch_comment c JOIN patch p ON p.id = c.patch_id WHERE p.project_id = $(cat id)")" &&
	test 1 = "$(sql -c "SELECT count(*) FROM patch")" &&
	grep -E "(statement|execute [a-z_]*): " log >statements &&
	test 1 = "$(grep -c "DELETE" statements)" &&
	! grep -i "FROM patch" statements &&
	echo "max RSS $(cat rss) kB" &&
	test "$(cat rss)" -lt 100000
'

test_done
