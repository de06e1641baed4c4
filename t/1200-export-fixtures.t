#!/bin/sh
# pw db export / import on every Django Patchwork dump in ../shared: the
# migration fixtures (0042, 0044, 0046, built by running the real
# migrations) and the reference sample databases (3.0.6, 3.1.3).  Each is
# loaded into a scratch database, exported, imported into a database
# prepared by `pw db sync`, and checked against the facts its README
# documents: counts, ids, dates, text, ghost rows, NULLs, passwords and
# tokens.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-auth.sh

test_need_shared fixtures/django-patchwork/README.md
test_need_shared reference/README.md
test_need_cmd nginx
test_need_cmd curl
test_setup_db

url() { echo "host=$PGHOST user=postgres dbname=$1"; }
newdb() { "$PG_BINDIR/createdb" -h "$PGHOST" -U postgres "$@"; }
src() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$SRCDB" "$@"; }

# pw_check USER PASSWORD: the imported hash of USER verifies PASSWORD.
pw_check() {
	local stored
	stored=$(sql -c "SELECT password FROM auth_user WHERE username = \$\$$1\$\$") &&
	test -n "$stored" &&
	printf %s "$2" | pw-test auth check -n ${PW_AUTH_FLAGS:-} "$stored" >/dev/null
}

# Row counts after the export, per dump (README facts, less what the
# export skips and reports: ghost cover rows, series without a project).
expected_counts() {
	case $1 in
	django-0042-fixture)
		echo "state:11 tag:3 auth_user:13 auth_token:3 project:5 project_maintainer:3 person:6 delegation_rule:2 patch_relation:2 cover:1 series:3 series_reference:5 series_dependency:0 patch:12 patch_comment:2 cover_comment:1 patch_tag:1 ci_check:5 bundle:2 bundle_patch:4 event:15 email_confirmation:3 email_optout:1 patch_change_notification:1" ;;
	django-0044-fixture)
		echo "state:11 tag:3 auth_user:13 auth_token:3 project:5 project_maintainer:3 person:6 delegation_rule:2 patch_relation:2 cover:2 series:4 series_reference:8 series_dependency:0 patch:14 patch_comment:2 cover_comment:3 patch_tag:1 ci_check:6 bundle:2 bundle_patch:4 event:20 email_confirmation:3 email_optout:1 patch_change_notification:1" ;;
	django-0046-fixture)
		echo "state:11 tag:3 auth_user:13 auth_token:3 project:5 project_maintainer:3 person:6 delegation_rule:2 patch_relation:2 cover:2 series:4 series_reference:8 series_dependency:0 patch:15 patch_comment:2 cover_comment:5 patch_tag:1 ci_check:7 bundle:2 bundle_patch:4 event:24 email_confirmation:3 email_optout:1 patch_change_notification:1" ;;
	django-3.0.6-sample)
		echo "state:10 tag:3 auth_user:2 auth_token:2 project:60 project_maintainer:61 person:24 delegation_rule:0 patch_relation:1 cover:21 series:79 series_reference:86 series_dependency:0 patch:122 patch_comment:4 cover_comment:1 patch_tag:24 ci_check:4 bundle:2 bundle_patch:7 event:421 email_confirmation:0 email_optout:0 patch_change_notification:0" ;;
	django-3.1.3-sample)
		echo "state:10 tag:3 auth_user:2 auth_token:2 project:60 project_maintainer:61 person:24 delegation_rule:0 patch_relation:1 cover:21 series:79 series_reference:86 series_dependency:0 patch:122 patch_comment:4 cover_comment:1 patch_tag:24 ci_check:4 bundle:2 bundle_patch:7 event:428 email_confirmation:0 email_optout:0 patch_change_notification:0" ;;
	esac
}

# The same rows, source and target: md5 over a column list, the source
# restricted to the ids that were carried.
same_rows() {
	local tsql=$1 ssql=$2
	sql -c "$tsql" >got.$$ && src -c "$ssql" >want.$$ &&
	test_cmp want.$$ got.$$
}

newdb -T patchwork synced || exit 1
n=0
for f in "$SHARED"/fixtures/django-patchwork/*fixture.sql \
	"$SHARED"/reference/*-sample.sql
do
	name=$(basename "$f" .sql)
	n=$((n + 1))
	SRCDB=src$n
	newdb "$SRCDB" &&
	psql -X -q -v ON_ERROR_STOP=1 -d "$SRCDB" -f "$f" >/dev/null 2>&1 ||
		{ echo "Bail out! cannot load $f"; exit 1; }
	# The first goes into the freshly synced database (seeded states and
	# tags), the others replace what is there.
	replace=
	[ $n -gt 1 ] && replace=--replace
	case $name in
	django-0042*) patch_src="patchwork_submission s JOIN patchwork_patch p ON p.submission_ptr_id = s.id"
		pid=s.id ;;
	*) patch_src="patchwork_patch p JOIN patchwork_patch s ON s.id = p.id"
		pid=p.id ;;
	esac

	test_expect_success "$name: export" '
		pw db export --from "$(url $SRCDB)" >$name.sql 2>$name.report &&
		test_grep "^-- format: 1$" $name.sql &&
		test_grep "^-- time-zone: Australia/Canberra$" $name.sql
	'

	test_expect_success "$name: import" '
		pw db import -q $replace $name.sql &&
		sql -c "SELECT id || \$\$ \$\$ || password FROM auth_user ORDER BY id" >$name.hashes
	'
	test_start_http 1

	test_expect_success "$name: row counts" '
		for t in $(expected_counts $name)
		do
			echo "${t%%:*} $(sql -c "SELECT count(*) FROM ${t%%:*}")"
		done >got &&
		expected_counts $name | tr " :" "\n " >expect &&
		test_cmp expect got
	'

	test_expect_success "$name: ids, text and hashes intact" '
		sql -c "SELECT string_agg(id::text, \$\$,\$\$) FROM patch" >ids &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, msgid, name, headers, content, diff, hash, commit_ref, pull_url, archived, number, series_id, related_id, delegate_id, project_id, submitter_id), \$\$#\$\$ ORDER BY id)) FROM patch" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, $pid, s.msgid, s.name, s.headers, s.content, p.diff, p.hash, p.commit_ref, p.pull_url, p.archived, p.number, p.series_id, p.related_id, p.delegate_id, s.project_id, s.submitter_id), \$\$#\$\$ ORDER BY $pid)) FROM $patch_src WHERE $pid = ANY(\$\${$(cat ids)}\$\$)" &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, email, name, user_id), \$\$#\$\$ ORDER BY id)) FROM person" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, email, name, user_id), \$\$#\$\$ ORDER BY id)) FROM patchwork_person" &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, linkname, name, listid, listemail, subject_match, web_url, scm_url), \$\$#\$\$ ORDER BY id)) FROM project" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, linkname, name, listid, listemail, subject_match, web_url, scm_url), \$\$#\$\$ ORDER BY id)) FROM patchwork_project" &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, username, password, email, is_active, is_admin, first_name), \$\$#\$\$ ORDER BY id)) FROM auth_user" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, username, password, email, is_active, is_superuser, first_name), \$\$#\$\$ ORDER BY id)) FROM auth_user" &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, key, user_id), \$\$#\$\$ ORDER BY key)) FROM auth_token" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, key, user_id), \$\$#\$\$ ORDER BY key)) FROM authtoken_token" &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, patch_id, user_id, state, target_url is null, target_url, description is null, description, context), \$\$#\$\$ ORDER BY id)) FROM ci_check" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, patch_id, user_id, state, target_url is null, target_url, description is null, description, context), \$\$#\$\$ ORDER BY id)) FROM patchwork_check" &&
		same_rows "SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, name, slug, ordering, action_required), \$\$#\$\$ ORDER BY id)) FROM state" \
			"SELECT md5(string_agg(concat_ws(\$\$|\$\$, id, name, slug, ordering, action_required), \$\$#\$\$ ORDER BY id)) FROM patchwork_state"
	'

	test_expect_success "$name: every identity continues past the imported ids" '
		sql -c "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND a.attname = \$\$id\$\$ AND a.attidentity IN (\$\$a\$\$, \$\$d\$\$) ORDER BY 1" >tables &&
		sql -c "SELECT c.relname || \$\$|\$\$ || (nextval(pg_get_serial_sequence(c.relname::text, \$\$id\$\$)) > (xpath(\$\$/row/m/text()\$\$, query_to_xml(format(\$\$SELECT coalesce(max(id), 0) AS m FROM %I\$\$, c.relname), false, true, \$\$\$\$)))[1]::text::bigint) FROM pg_class c WHERE c.relname IN (SELECT * FROM unnest(string_to_array(\$\$$(tr "\n" " " <tables)\$\$, \$\$ \$\$))) ORDER BY c.relname" >got &&
		sed "s/\$/|true/" tables >expect &&
		test_cmp expect got &&
		sql -c "INSERT INTO patch_relation DEFAULT VALUES RETURNING id > (SELECT count(*) FROM patch_relation) - 1" >got &&
		echo t >expect &&
		test_cmp expect got
	'

	case $name in
	django-00*)
		test_expect_success "$name: dates are true instants (DST gap fixed from the Date: header)" '
			sql -c "SELECT id || \$\$ \$\$ || date FROM patch WHERE id IN (4, 9, 10, 11) ORDER BY id" >got &&
			cat >expect <<-\EOF &&
			4 2020-06-01 12:01:00+00
			9 2020-10-04 02:30:00+00
			10 1970-01-01 00:00:00+00
			11 2099-12-31 23:59:59+00
			EOF
			test_cmp expect got &&
			test_grep "^  patch 9: date set to 2020-10-04 02:30:00+00 from its Date: header" $name.report
		'

		test_expect_success "$name: the ghost of cover 3 is not a patch" '
			sql -c "SELECT count(*) FROM patch WHERE id = 3" >got &&
			echo 0 >expect &&
			test_cmp expect got &&
			sql -c "SELECT msgid FROM cover WHERE id = 3" >got &&
			echo "<cover-v1@example.org>" >expect &&
			test_cmp expect got &&
			test_grep "^  \(patch\|submission\) 3: .*leftover copy of pre-3.0 cover letter 3" $name.report
		'

		test_expect_success "$name: checks keep NULL and empty strings apart" '
			sql -c "SELECT id, target_url IS NULL, description IS NULL, coalesce(description, \$\$-\$\$) FROM ci_check WHERE id IN (4, 5) ORDER BY id" >got &&
			printf "4|t|t|-\n5|f|f|\n" >expect &&
			test_cmp expect got
		'

		test_expect_success "$name: users, profiles, tokens" '
			sql -c "SELECT username, items_per_page, is_active, is_staff, is_admin FROM auth_user WHERE id IN (1, 2, 10, 11, 12) ORDER BY id" >got &&
			cat >expect <<-\EOF &&
			admin|t|t|t
			alice|250|t|f|f
			ivan|f|f|f
			sam|t|t|f
			nora|100|t|f|f
			EOF
			sed "s/^\(admin\|ivan\|sam\)|[0-9]*|/\1|/" got >g2 &&
			test_cmp expect g2 &&
			sql -c "SELECT send_email, show_ids FROM auth_user WHERE username = \$\$nora\$\$" >got &&
			echo "f|f" >expect &&
			test_cmp expect got &&
			sql -c "SELECT t.key, u.username, u.is_active FROM auth_token t JOIN auth_user u ON u.id = t.user_id ORDER BY 1" >got &&
			cat >expect <<-\EOF &&
			0123456789abcdef0123456789abcdef01234567|alice|t
			89abcdef0123456789abcdef0123456789abcdef|ci-bot|t
			fedcba9876543210fedcba9876543210fedcba98|ivan|f
			EOF
			test_cmp expect got &&
			sql -c "SELECT name FROM person WHERE id = 5" >got &&
			src -c "SELECT name FROM patchwork_person WHERE id = 5" >expect &&
			test_cmp expect got &&
			LC_ALL=C grep -q "[^ -~]" got
		'

		test_expect_success "$name: custom state 42, odd projects, bundles in order" '
			sql -c "SELECT id FROM state WHERE id = 42" >got &&
			echo 42 >expect &&
			test_cmp expect got &&
			sql -c "SELECT id, linkname, listid FROM project WHERE id IN (2, 3, 4, 5) ORDER BY id" >got &&
			src -c "SELECT id, linkname, listid FROM patchwork_project WHERE id IN (2, 3, 4, 5) ORDER BY id" >expect &&
			test_cmp expect got &&
			sql -c "SELECT bundle_id, patch_id, position FROM bundle_patch ORDER BY 1, 2" >got &&
			printf "1|4|1\n1|5|2\n2|4|1\n2|8|1\n" >expect &&
			test_cmp expect got
		'

		test_expect_success "$name: every documented password verifies, unusable ones do not" '
			for u in admin alice bob nora sam ci-bot ivan
			do
				pw_check $u secret || { echo "$u: no match"; return 1; }
			done &&
			pw_check Alice sécret &&
			! pw_check erin secret &&
			! pw_check frank "" &&
			! pw_check dave secret &&
			! pw_check olga secret &&
			! pw_check alice wrong &&
			! pw_check carol secret &&
			PW_AUTH_FLAGS=-m pw_check carol secret
		'

		test_expect_success "$name: REST: every documented token authenticates as its user" '
			test "$(token 0123456789abcdef0123456789abcdef01234567 2)" = 200 &&
			logs_in 2 &&
			test "$(token 89abcdef0123456789abcdef0123456789abcdef 9)" = 200 &&
			logs_in 9 &&
			test "$(token 0123456789abcdef0123456789abcdef01234567 9)" = 403 &&
			detail "You do not have permission to perform this action."
		'

		test_expect_success "$name: REST: the inactive user's token and unknown ones are refused" '
			test "$(token fedcba9876543210fedcba9876543210fedcba98 10)" = 403 &&
			detail "User inactive or deleted." &&
			test "$(token 0000000000000000000000000000000000000000 2)" = 403 &&
			detail "Invalid token." &&
			test "$(anonymous 2)" = 403 &&
			detail "Authentication credentials were not provided."
		'

		test_expect_success "$name: REST: every documented password logs in by HTTP Basic" '
			for u in admin:1 alice:2 bob:3 ci-bot:9 sam:11 nora:12
			do
				test "$(basic ${u%:*} secret ${u#*:})" = 200 &&
				logs_in ${u#*:} || { echo "$u: $(cat body)"; return 1; }
			done &&
			test "$(basic Alice sécret 8)" = 200 &&
			logs_in 8
		'

		test_expect_success "$name: REST: old hashes were re-hashed at that login" '
			for u in admin:1 alice:2 bob:3 ci-bot:9 sam:11 nora:12
			do
				rehashed ${u#*:} secret || return 1
			done &&
			rehashed 8 sécret &&
			sql -c "SELECT id || \$\$ \$\$ || password FROM auth_user ORDER BY id" >now &&
			LC_ALL=C sort $name.hashes now | uniq -u | cut -d" " -f1 | uniq -d >changed &&
			printf "%s\n" 1 11 12 2 3 8 9 >expect &&
			test_cmp expect changed
		'

		test_expect_success "$name: REST: refused, hash untouched: wrong, unusable, unknown, md5, inactive" '
			refused alice wrong 2 &&
			refused Alice secret 8 &&
			refused erin secret 6 &&
			refused frank "" 7 &&
			refused dave secret 5 &&
			refused olga secret 13 &&
			refused carol secret 4 &&
			refused ivan secret 10 &&
			refused nobody secret 2
		'

		test_expect_success "$name: REST: the old password works again; a new one locks it out at once" '
			test "$(basic alice secret 2)" = 200 &&
			test "$(basic alice secret 2)" = 200 &&
			printf other | pw admin user passwd alice --password-stdin &&
			test "$(basic alice secret 2)" = 403 &&
			detail "Invalid username/password." &&
			test "$(basic alice other 2)" = 200 &&
			logs_in 2
		'

		test_expect_success "$name: the report names who cannot log in" '
			sed -n "/^password hashes:/,/^[a-z]/p" $name.report >hashes &&
			test_grep "^  unusable  *2  cannot log in until they reset their password: erin, frank$" hashes &&
			test_grep "^  md5  *1  cannot log in .*: carol$" hashes &&
			test_grep "^  sha1  *1  cannot log in .*: dave$" hashes &&
			test_grep "^  unknown  *1  cannot log in .*: olga$" hashes &&
			test_grep "^  pbkdf2_sha1  *1$" hashes &&
			test_grep "^staff users who are not superusers .*: sam$" $name.report
		'
		;;
	django-3*)
		test_expect_success "$name: dates are the instants the API showed" '
			sql -c "SELECT date FROM patch WHERE id = 1" >got &&
			echo "2010-10-22 03:51:02+00" >expect &&
			test_cmp expect got
		'

		test_expect_success "$name: events by category" '
			sql -c "SELECT category || \$\$ \$\$ || count(*) FROM event GROUP BY category ORDER BY 1" >got &&
			src -c "SELECT category || \$\$ \$\$ || count(*) FROM patchwork_event GROUP BY category ORDER BY 1" >expect &&
			test_cmp expect got
		'

		test_expect_success "$name: users, tokens, maintainers, bundles" '
			sql -c "SELECT t.key, u.username, u.is_active FROM auth_token t JOIN auth_user u ON u.id = t.user_id ORDER BY u.id" >got &&
			cat >expect <<-\EOF &&
			04c4903748bacef110cc052041e78bf555bd722f|admin|t
			bcfde378f8c1f68e15774ace04f0fa8411b97e95|alice|t
			EOF
			test_cmp expect got &&
			sql -c "SELECT count(*) FROM project_maintainer WHERE user_id = 1" >got &&
			echo 60 >expect &&
			test_cmp expect got &&
			sql -c "SELECT user_id FROM person WHERE id = 1" >got &&
			echo 2 >expect &&
			test_cmp expect got &&
			sql -c "SELECT b.name, string_agg(bp.patch_id::text, \$\$,\$\$ ORDER BY bp.position, bp.patch_id) FROM bundle b JOIN bundle_patch bp ON bp.bundle_id = b.id GROUP BY b.name ORDER BY 1" >got &&
			printf "alice-review|18,19,20\ndsa-multi-cpu|5,6,7,8\n" >expect &&
			test_cmp expect got
		'

		test_expect_success "$name: the documented passwords verify" '
			pw_check admin adminpass &&
			pw_check alice alicepass &&
			! pw_check alice adminpass
		'

		test_expect_success "$name: REST: the documented tokens authenticate as their users" '
			test "$(token 04c4903748bacef110cc052041e78bf555bd722f 1)" = 200 &&
			logs_in 1 &&
			test "$(token bcfde378f8c1f68e15774ace04f0fa8411b97e95 2)" = 200 &&
			logs_in 2
		'

		test_expect_success "$name: REST: the documented passwords log in, and are re-hashed" '
			test "$(basic admin adminpass 1)" = 200 &&
			logs_in 1 &&
			test "$(basic alice alicepass 2)" = 200 &&
			logs_in 2 &&
			rehashed 1 adminpass &&
			rehashed 2 alicepass &&
			test "$(basic alice alicepass 2)" = 200
		'

		test_expect_success "$name: REST: a wrong password is refused" '
			refused alice adminpass 2 &&
			refused admin "" 1
		'
		;;
	esac

	test_expect_success "$name: nothing skipped without a line in the report" '
		sed -n "/^table /,/^rows skipped\|^no row/p" $name.report | sed "1d;\$d" >counts &&
		awk "\$2 > \$3" counts | cut -d" " -f1 | sort -u >short &&
		while read t
		do
			grep -q "^  $t [0-9]*: \(skipped\|moved\)" $name.report ||
			grep -q "^  submission [0-9]*: not a patch" $name.report ||
			{ echo "$t lost rows silently"; return 1; }
		done <short
	'
	test_stop_http
done

test_expect_success 'schema-only dumps (0044 upgraded path, 0048) export empty' '
	for f in "$SHARED"/fixtures/django-patchwork/*-schema.sql
	do
		newdb -T template0 empty &&
		psql -X -q -v ON_ERROR_STOP=1 -d empty -f "$f" >/dev/null 2>&1 &&
		pw db export -q --from "$(url empty)" >empty.sql 2>/dev/null &&
		grep "^-- rows:" empty.sql | awk "\$4 != 0" >nonzero &&
		test_must_be_empty nonzero &&
		"$PG_BINDIR/dropdb" -h "$PGHOST" -U postgres empty || return 1
	done
'

test_done
