#!/bin/sh
# A git-pw session (Debian's git-pw 2.0.0) against the server through
# nginx and the pool: list, show and download patches and series, apply
# a series and a patch with its dependencies to a repository, update
# patches with a token and with HTTP Basic, create, change, download and
# delete bundles.  The patches are real `git format-patch` output of a
# repository made here, stored as ingest would store them.  (git-pw 2.0.0
# has no command for checks: the CI results are read back over the API.)
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

test_need_cmd git-pw
test_pick_port
APIW_BASE_URL=$HTTP_URL
apiw_setup
test_start_http 2

HOME=$TRASH
TMPDIR=$TRASH/tmp
GIT_PAGER=cat
GIT_AUTHOR_DATE="2024-06-01 10:00:00 +0000"
GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
export HOME TMPDIR GIT_PAGER GIT_AUTHOR_DATE GIT_COMMITTER_DATE
mkdir -p "$TMPDIR"
git config --global user.name "Dev Eloper"
git config --global user.email dev@example.com
git config --global init.defaultBranch main

# format-patch files as rows: headers up to the blank line, the message,
# the diff up to the "-- " signature; patches 10.. of series 10.
cat >store.py <<\EOF
import re, sys
out = []
for n, path in enumerate(sys.argv[1:], 1):
    text = open(path).read()
    head, body = text.split('\n\n', 1)
    head = '\n'.join(head.split('\n')[1:])        # the "From <sha>" line
    msgid = re.search(r'^Message-Id: (<.*>)$', head, re.M | re.I).group(1)
    subject = re.search(r'^Subject: \[PATCH v1 (\d+/\d+)\] (.*)$', head,
                        re.M).group(2)
    i = body.index('diff --git')
    content, diff = body[:i], body[i:]
    diff = diff[:diff.rindex('\n-- \n') + 1]
    out.append("INSERT INTO patch (id, project_id, msgid, date, name, "
               "submitter_id, state_id, series_id, number, headers, content, "
               "diff) VALUES (%d, 1, $pw$%s$pw$, '2024-06-01 10:00:0%d', "
               "$pw$[v1,%d/3] %s$pw$, 5, 1, 10, %d, $pw$%s$pw$, $pw$%s$pw$, "
               "$pw$%s$pw$);" % (9 + n, msgid, n, n, subject, n, head,
                                 content, diff))
print('\n'.join(out))
EOF

test_expect_success 'a repository and a series made with git format-patch' '
	git init -q src && (
		cd src &&
		printf "one\ntwo\nthree\n" >f1 && printf "alpha\nbeta\n" >f2 &&
		git add f1 f2 && git commit -q -m base && git tag base &&
		sed -i s/two/TWO/ f1 && git commit -q -a -m "net: change f1" &&
		sed -i s/beta/BETA/ f2 && git commit -q -a -m "net: change f2" &&
		echo new >f3 && git add f3 && git commit -q -m "net: add f3" &&
		git format-patch -q --thread --subject-prefix="PATCH v1" -o ../p base
	) &&
	sql -c "INSERT INTO person (id, email, name) VALUES (5, \$\$dev@example.com\$\$, \$\$Dev Eloper\$\$);
		INSERT INTO series (id, project_id, name, date, submitter_id, version, total)
		VALUES (10, 1, \$\$net: changes\$\$, \$\$2024-06-01 10:00:00\$\$, 5, 1, 3)" &&
	python3 store.py p/*.patch >store.sql &&
	sql -f store.sql &&
	test "$(sql -c "SELECT count(*) FROM patch WHERE series_id = 10")" = 3
'

git_pw_setup() {
	git init -q "$1" && (
		cd "$1" &&
		git fetch -q ../src main --tags &&
		git checkout -q base &&
		git config pw.server "$HTTP_URL/api/1.2" &&
		git config pw.project net &&
		git config pw.token "$TOK_MAINT"
	)
}

test_expect_success 'patch list: the open patches of the project, newest first' '
	git_pw_setup w &&
	(cd w && git pw patch list -f csv -c ID -c Name -c State -c Delegate) >actual &&
	cat >expect <<-\EOF &&
	"ID","Name","State","Delegate"
	"12","[v1,3/3] net: add f3","new",""
	"11","[v1,2/3] net: change f2","new",""
	"10","[v1,1/3] net: change f1","new",""
	"3","[v2,3/3] net: fix baz","under-review",""
	"2","[v2,2/3] net: fix bar","new","deleg"
	"1","[v2,1/3] net: fix foo","new",""
	EOF
	test_cmp expect actual &&
	(cd w && git pw patch list -f csv -c ID --state under-review --sort id) >actual &&
	printf "\"ID\"\n\"3\"\n" >expect &&
	test_cmp expect actual &&
	(cd w && git pw patch list -f csv -c ID --submitter dev@example.com --limit 2) >actual &&
	printf "\"ID\"\n\"12\"\n\"11\"\n" >expect &&
	test_cmp expect actual &&
	(cd w && git pw patch list -f csv -c ID --submitter "Dev Elop" --sort id) >actual &&
	printf "\"ID\"\n\"10\"\n\"11\"\n\"12\"\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'patch show' '
	(cd w && git pw patch show 11 -f csv) >actual &&
	msgid=$(sql -c "SELECT msgid FROM patch WHERE id = 11") &&
	cat >expect <<-EOF &&
	"Property","Value"
	"ID","11"
	"Message ID","$msgid"
	"Date","2024-06-01T10:00:02"
	"Name","[v1,2/3] net: change f2"
	"URL","$HTTP_URL/project/net/patch/$(echo "$msgid" | tr -d "<>")/"
	"Submitter","Dev Eloper (dev@example.com)"
	"State","new"
	"Archived","False"
	"Project","Netdev"
	"Delegate",""
	"Commit Ref",""
	"Series","10   net: changes"

	EOF
	test_cmp expect actual
'

test_expect_success 'patch download: the mbox, and the diff by the raw URL' '
	(cd w && git pw patch download 11 ../p11.mbox) &&
	curl -s -o expect "$(sql -c "SELECT \$\$$HTTP_URL/project/net/patch/\$\$ ||
		trim(both \$\$<>\$\$ FROM msgid) || \$\$/mbox/\$\$ FROM patch WHERE id = 11")" &&
	test_cmp expect p11.mbox &&
	grep -q "^X-Patchwork-Id: 11$" p11.mbox &&
	(cd w && git pw patch download --diff 11) &&
	sql -c "SELECT diff FROM patch WHERE id = 11" >expect.raw &&
	head -c "$(wc -c <"$(ls "$TMPDIR"/git-pw*/v1-2-3-net-change-f2.diff)")" expect.raw >expect &&
	test_cmp expect "$TMPDIR"/git-pw*/v1-2-3-net-change-f2.diff
'

test_expect_success 'series list, show and download' '
	(cd w && git pw series list -f csv -c ID -c Name -c Version -c Submitter) >actual &&
	cat >expect <<-\EOF &&
	"ID","Name","Version","Submitter"
	"10","net: changes","1","Dev Eloper (dev@example.com)"
	"1","net: foo fixes","2","Sub Mitter (sub@example.com)"
	EOF
	test_cmp expect actual &&
	(cd w && git pw series show 10 -f csv) >actual &&
	grep -x "\"Patches\",\"10   \[v1,1/3\] net: change f1\"" actual &&
	grep -x "\"Received\",\"3 of 3\"" actual &&
	grep -x "\"Complete\",\"True\"" actual &&
	(cd w && git pw series download 10 ../s10.mbox) &&
	curl -s -o expect "$HTTP_URL/series/10/mbox/" &&
	test_cmp expect s10.mbox &&
	test "$(grep -c "^From patchwork " s10.mbox)" = 3
'

test_expect_success 'series apply: git am takes the series mbox' '
	(cd w && git pw series apply 10) &&
	(cd w && git log --format=%s base..HEAD) >actual &&
	printf "net: add f3\nnet: change f2\nnet: change f1\n" >expect &&
	test_cmp expect actual &&
	(cd w && git diff base HEAD) >a.diff && (cd src && git diff base main) >b.diff &&
	test_cmp b.diff a.diff
'

test_expect_success 'patch apply: the patch after the earlier ones of its series' '
	git_pw_setup w2 &&
	(cd w2 && git pw patch apply 11) &&
	(cd w2 && git log --format=%s base..HEAD) >actual &&
	printf "net: change f2\nnet: change f1\n" >expect &&
	test_cmp expect actual &&
	git_pw_setup w3 &&
	(cd w3 && git pw patch apply 10 --no-deps) &&
	(cd w3 && git log --format=%s base..HEAD) >actual &&
	printf "net: change f1\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'patch update with a token: state, delegate, archived, commit' '
	(cd w && git pw patch update 10 --state accepted --delegate maint \
		--archived true --commit-ref deadbeef -f csv) >actual &&
	grep -x "\"State\",\"accepted\"" actual &&
	grep -x "\"Delegate\",\"maint\"" actual &&
	grep -x "\"Archived\",\"True\"" actual &&
	grep -x "\"Commit Ref\",\"deadbeef\"" actual &&
	test "$(sql -c "SELECT s.slug || p.archived::text || u.username FROM patch p
		JOIN state s ON s.id = p.state_id JOIN auth_user u ON u.id = p.delegate_id
		WHERE p.id = 10")" = acceptedtruemaint
'

test_expect_success 'patch update with HTTP Basic' '
	(cd w && git config --unset pw.token && git config pw.username maint &&
		git config pw.password secret) &&
	(cd w && git pw patch update 11 12 --state changes-requested --archived false -f csv) >actual &&
	test "$(grep -c "^\"State\",\"changes-requested\"$" actual)" = 2 &&
	(cd w && git pw patch list -f csv -c ID --state changes-requested --sort id) >actual &&
	printf "\"ID\"\n\"11\"\n\"12\"\n" >expect &&
	test_cmp expect actual &&
	(cd w && git config pw.password wrong && ! git pw patch show 11 2>../err) &&
	grep "Invalid username/password." err &&
	(cd w && git config pw.password secret)
'

test_expect_success 'bundles: create, list, show, update, add, download, delete' '
	(cd w && git pw bundle create --public fixes 12 10 -f csv) >actual &&
	grep -x "\"Name\",\"fixes\"" actual &&
	grep -x "\"Public\",\"True\"" actual &&
	id=$(sed -n "s/^\"ID\",\"\([0-9]*\)\"$/\1/p" actual) &&
	(cd w && git pw bundle list -f csv -c ID -c Name -c Owner -c Public) >actual &&
	printf "\"ID\",\"Name\",\"Owner\",\"Public\"\n\"%s\",\"fixes\",\"maint\",\"yes\"\n" "$id" >expect &&
	test_cmp expect actual &&
	(cd w && git pw bundle show fixes -f csv) >actual &&
	grep -x "\"Patches\",\"10   \[v1,1/3\] net: change f1\"" actual &&
	(cd w && git pw bundle update "$id" --name mine --private -f csv) >actual &&
	grep -x "\"Name\",\"mine\"" actual &&
	grep -x "\"Public\",\"False\"" actual &&
	(cd w && git pw bundle add "$id" 11 -f csv) >actual &&
	(cd w && git pw bundle remove "$id" 12 -f csv) >actual &&
	(cd w && git pw bundle download "$id" ../b.mbox) &&
	grep "^X-Patchwork-Id:" b.mbox >actual &&
	printf "X-Patchwork-Id: 10\nX-Patchwork-Id: 11\n" >expect &&
	test_cmp expect actual &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$HTTP_URL/bundle/maint/mine/mbox/")" = 404 &&
	(cd w && git pw bundle delete "$id") &&
	test "$(sql -c "SELECT count(*) FROM bundle")" = 0
'

test_expect_success 'checks a CI bot posted, read back over the API' '
	curl -s -o body -X POST -H "Authorization: Token $TOK_MAINT" \
		-d "state=success&context=build&target_url=https://ci.example.org/1" \
		"$HTTP_URL/api/1.2/patches/12/checks/" &&
	test "$(json_get state)" = success &&
	curl -s -o body -X POST -H "Authorization: Token $TOK_MAINT" \
		-H "Content-Type: application/json" \
		-d "{\"state\":\"fail\",\"context\":\"test\",\"description\":\"2 failures\"}" \
		"$HTTP_URL/api/1.2/patches/12/checks/" &&
	curl -s -o body "$HTTP_URL/api/1.2/patches/12/checks/" &&
	python3 -c "import json; print(\" \".join(c[\"context\"] + \"=\" + c[\"state\"] for c in json.load(open(\"body\"))))" >actual &&
	echo "build=success test=fail" >expect &&
	test_cmp expect actual &&
	curl -s -o body "$HTTP_URL/api/1.2/patches/12/" &&
	test "$(json_get check)" = fail
'

test_done
