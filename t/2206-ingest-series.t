#!/bin/sh
# Series grouping (spec §11-§12), ported from the reference's series
# fixtures (§11.6) with mails written here: each case is its own project,
# and the result is the shape of its series in date order, "P:C" for P
# patches and C cover letters.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

# case NAME: a fresh project for the mails that follow
case_() {
	L=$1
	n=0
	add_project "$L" "$L.example.org"
}

_mail() {
	local kind=$1 id=$2 subj=$3 irt=${4:-} refs= r off=${6:-}
	for r in ${5:-}; do refs="$refs $r@$L"; done
	n=$((n + 1))
	[ -n "$off" ] || off=$n
	if [ "$kind" = cover ]; then
		mkmail --list "$L.example.org" --msgid "$id@$L" --subject "$subj" \
			${irt:+--irt "$irt@$L"} --refs "$refs" \
			--date $((1700000000 + off)) --file "" \
			--body "The cover letter of $L." >"$L-$n.eml"
	else
		mkmail --list "$L.example.org" --msgid "$id@$L" --subject "$subj" \
			${irt:+--irt "$irt@$L"} --refs "$refs" \
			--date $((1700000000 + off)) --file "lib/$L-$id.c" \
			--body "Patch $id of $L." >"$L-$n.eml"
	fi
	deliver "$L-$n.eml"
}

# p ID SUBJECT [IRT] [REFS] [SECONDS]: a patch; c ...: a cover letter
p() { _mail patch "$@"; }
c() { _mail cover "$@"; }

# The series of project $L in date order: P:C each.
shape() {
	sql -c "SELECT string_agg((SELECT count(*) FROM patch p WHERE p.series_id = s.id)
		|| ':' || (s.cover_letter_id IS NOT NULL)::int, ' ' ORDER BY s.date, s.id)
		FROM series s JOIN project pr ON pr.id = s.project_id
		WHERE pr.linkname = '$L'"
}

test_expect_success 'base-single-patch' '
	case_ single && p 1 "[PATCH] single" &&
	test "$(shape)" = "1:0"
'

test_expect_success 'base-no-cover-letter: 2/2 in reply to 1/2' '
	case_ nocover && p 1 "[PATCH 1/2] a" && p 2 "[PATCH 2/2] b" 1 &&
	test "$(shape)" = "2:0"
'

test_expect_success 'base-deep-threaded: 0/2 <- 1/2 <- 2/2' '
	case_ deep && c 0 "[PATCH 0/2] deep" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 1 0 &&
	test "$(shape)" = "2:1"
'

test_expect_success 'base-out-of-order: 2/2, 1/2, then the cover' '
	case_ ooo && p 2 "[PATCH 2/2] b" 0 "" 3 && p 1 "[PATCH 1/2] a" 0 "" 2 &&
	c 0 "[PATCH 0/2] ooo" "" "" 1 &&
	test "$(shape)" = "2:1" &&
	test "$(sql -c "SELECT s.name FROM series s JOIN project p ON p.id = s.project_id WHERE p.linkname = '"'"'ooo'"'"'")" = ooo
'

test_expect_success 'base-no-references: by markers' '
	case_ norefs && p 1 "[PATCH 1/2] a" && p 2 "[PATCH 2/2] b" &&
	test "$(shape)" = "2:0"
'

test_expect_success 'base-no-references-no-cover: the cover'"'"'s series by markers' '
	case_ norefscover && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" &&
	p 2 "[Patch 2/2]: b" &&
	test "$(shape)" = "2:1"
'

test_expect_success 'base-different-versions: a v3 cover, unversioned patches' '
	case_ diffver && c 0 "[PATCH net-next v3 0/4] x" &&
	for i in 1 2 3 4; do p $i "[PATCH $i/4] p$i" 0 || return 1; done &&
	test "$(shape)" = "4:1" &&
	test "$(sql -c "SELECT version FROM series s JOIN project p ON p.id = s.project_id WHERE p.linkname = '"'"'diffver'"'"'")" = 3
'

test_expect_success 'bugs-multiple-references' '
	case_ multiref && c 0 "[PATCH V2 0/4] x" &&
	p 1 "[PATCH V2 1/4] a" 0 &&
	p 2 "[PATCH V2 2/4] b" 0 "0 1" &&
	p 3 "[PATCH V2 3/4] c" 0 "0 2" &&
	p 4 "[PATCH V2 4/4] d" 0 "1 3" &&
	test "$(shape)" = "4:1"
'

test_expect_success 'base-incomplete and base-extra-patches: received_all' '
	case_ incomplete && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	test "$(shape)" = "1:1" &&
	case_ extra && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 0 && p 3 "[PATCH 3/2] c" 0 &&
	test "$(shape)" = "3:1" &&
	sql -c "SELECT s.total, count(*) FILTER (WHERE e.category = '"'"'series-completed'"'"')
		FROM series s JOIN project pr ON pr.id = s.project_id
		LEFT JOIN event e ON e.series_id = s.id
		WHERE pr.linkname = '"'"'extra'"'"' GROUP BY s.id" >actual &&
	echo "2|2" >expect &&
	test_cmp expect actual
'

test_expect_success 'revision-basic: v1 and v2, not threaded' '
	case_ revbasic && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 0 &&
	c v0 "[PATCH v2 0/2] x" "" "" 600 && p v1 "[PATCH v2 1/2] a" v0 "" 601 &&
	p v2 "[PATCH v2 2/2] b" v0 "" 602 &&
	test "$(shape)" = "2:1 2:1"
'

test_expect_success 'revision-threaded-to-patch' '
	case_ revpatch && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 0 &&
	c v0 "[PATCH v2 0/2] x" 1 0 && p v1 "[PATCH v2 1/2] a" v0 "0 1" &&
	p v2 "[PATCH v2 2/2] b" v0 "0 1" &&
	test "$(shape)" = "2:1 2:1"
'

test_expect_success 'revision-out-of-order: v2 patches before the v2 cover' '
	case_ revooo && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 0 &&
	p v2 "[PATCH v2 2/2] b" v0 "0" 603 && p v1 "[PATCH v2 1/2] a" v0 "0" 602 &&
	c v0 "[PATCH v2 0/2] x" 0 "" 601 &&
	test "$(shape)" = "2:1 2:1"
'

test_expect_success 'revision-threaded-to-single-patch' '
	case_ revsingle && p 1 "[PATCH] x" && p 2 "[PATCH v2] x" 1 &&
	test "$(shape)" = "1:0 1:0"
'

test_expect_success 'revision-no-cover-letter' '
	case_ revnocover && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 0 &&
	p v1 "[PATCH v2 1/2] a" "" "" 600 && p v2 "[PATCH v2 2/2] b" v1 "" 601 &&
	test "$(shape)" = "2:1 2:0"
'

test_expect_success 'revision-unlabeled: the same thread twice, 11 minutes apart' '
	case_ unlabeled && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p 2 "[PATCH 2/2] b" 0 &&
	c b0 "[PATCH 0/2] x" "" "" 660 && p b1 "[PATCH 1/2] a" b0 "" 661 &&
	p b2 "[PATCH 2/2] b" b0 "" 662 &&
	test "$(shape)" = "2:1 2:1"
'

test_expect_success 'revision-unlabeled-noreferences: an hour apart' '
	case_ unlnoref && p 1 "[PATCH 1/2] a" && p 2 "[PATCH 2/2] b" &&
	p b1 "[PATCH 1/2] a" "" "" 3600 && p b2 "[PATCH 2/2] b" "" "" 3601 &&
	test "$(shape)" = "2:0 2:0"
'

test_expect_success 'bugs-nocover: v2 in reply to v1'"'"'s 2/2' '
	case_ bnocover && p 1 "[PATCH 1/2] a" && p 2 "[PATCH 2/2] b" 1 &&
	p v1 "[PATCH v2 1/2] a" 2 1 && p v2 "[PATCH v2 2/2] b" v1 "1 2" &&
	test "$(shape)" = "2:0 2:0"
'

test_expect_success 'bugs-nocover-noversion: refs are first come, first mapped' '
	case_ bnoversion && p 1 "[PATCH 1/2] a" && p 2 "[PATCH 2/2] b" 1 &&
	p b1 "[PATCH 1/2] a" 2 1 && p b2 "[PATCH 2/2] b" b1 "1 2" &&
	test "$(shape)" = "2:0 2:0" &&
	sql -c "SELECT r.msgid FROM series_reference r JOIN series s ON s.id = r.series_id
		JOIN project pr ON pr.id = s.project_id WHERE pr.linkname = '"'"'bnoversion'"'"'
		ORDER BY s.date, s.id, r.msgid" >actual &&
	cat >expect <<-\EOF &&
	<1@bnoversion>
	<2@bnoversion>
	<b1@bnoversion>
	EOF
	test_cmp expect actual
'

test_expect_success 'bugs-spamming: the same patch three times' '
	case_ spam && p 1 "[PATCH v2 1/4] a" && p 2 "[PATCH v2 1/4] a" "" "" 60 &&
	p 3 "[PATCH v2 1/4] a" "" "" 120 &&
	test "$(shape)" = "1:0 1:0 1:0"
'

test_expect_success 'bugs-mixed-versions: a v2 2/2 a week later' '
	case_ mixed && p 1 "[PATCH 1/2] a" &&
	p 2 "[PATCH v2 2/2] b" unknown "" 604800 &&
	test "$(shape)" = "1:0 1:0"
'

test_expect_success 'bugs-unnumbered: an unnumbered diff in reply to a cover' '
	case_ unnumbered && c 0 "[PATCH 0/2] x" && p 1 "[PATCH 1/2] a" 0 &&
	p o "Re: [PATCH 0/2] x" 0 && test "$(count patch "msgid = '"'"'<o@unnumbered>'"'"'")" = 0 &&
	p o2 "This is an orphaned patch!" 0 &&
	test "$(shape)" = "1:1 1:0"
'

test_expect_success 'mercurial-cover-letter and mercurial-no-cover-letter' '
	case_ hg && c 0 "[PATCH 0 of 2] x" && p 1 "[PATCH 1 of 2] a" 0 &&
	p 2 "[PATCH 2 of 2] b" 0 &&
	test "$(shape)" = "2:1" &&
	case_ hgnocover && p 1 "[PATCH 1 of 2] a" && p 2 "[PATCH 2 of 2] b" 1 &&
	test "$(shape)" = "2:0"
'

test_expect_success 'names: cover beats patch 1; a custom name is kept' '
	case_ names && p 2 "[PATCH 2/2] test: second" 0 &&
	test "$(sql -c "SELECT coalesce(s.name, '"'"'NULL'"'"') FROM series s JOIN project p ON p.id = s.project_id WHERE p.linkname = '"'"'names'"'"'")" = NULL &&
	p 1 "[PATCH 1/2] test: Add some lorem ipsum" 0 &&
	test "$(sql -c "SELECT s.name FROM series s JOIN project p ON p.id = s.project_id WHERE p.linkname = '"'"'names'"'"'")" = "[1/2] test: Add some lorem ipsum" &&
	c 0 "[PATCH 0/2] A sample series" &&
	test "$(sql -c "SELECT s.name FROM series s JOIN project p ON p.id = s.project_id WHERE p.linkname = '"'"'names'"'"'")" = "A sample series" &&
	case_ custom && p 1 "[PATCH 1/2] first" 0 &&
	sql -c "UPDATE series s SET name = '"'"'mine'"'"' FROM project p WHERE p.id = s.project_id AND p.linkname = '"'"'custom'"'"'" &&
	c 0 "[PATCH 0/2] the cover" &&
	test "$(sql -c "SELECT s.name FROM series s JOIN project p ON p.id = s.project_id WHERE p.linkname = '"'"'custom'"'"'")" = mine
'

test_expect_success 'a second cover for a series stays outside it' '
	case_ twocovers && p 1 "[PATCH 1/1] a" 0b 0 && c 0 "[PATCH 0/1] x" &&
	c 0b "[PATCH 0/1] y" &&
	test "$(shape)" = "1:1" &&
	test "$(sql -c "SELECT count(*) FROM cover c JOIN project p ON p.id = c.project_id WHERE p.linkname = '"'"'twocovers'"'"'")" = 2
'

test_expect_success 'a re-import of the series cases adds nothing (D1)' '
	before=$(dump_all; count cover_comment; count patch_comment) &&
	last=$(sql -c "SELECT max(id) FROM mail") &&
	for f in *.eml; do
		echo "From again@example.org Thu Jan  1 00:00:00 2024" &&
		sed -e "s/^To: .*/To: again@example.org/" -e "s/^\(>*From \)/>\1/" $f &&
		echo || return 1
	done >again.mbox &&
	pw ingress --mbox again.mbox >out &&
	grep "^Total: 0 new entries" out &&
	test "$before" = "$(dump_all; count cover_comment; count patch_comment)" &&
	test "$(count mail "id > $last AND status <> '"'"'duplicate'"'"' AND status <> '"'"'dropped'"'"'")" = 0
'

test_done
