#!/bin/sh
# Subject parsing (ingest spec §5): every row of the §5.5 table and more,
# from t/data/subject.tsv, plus the three non-obvious rows of the §20
# checklist as separate tests.
. "$(dirname "$0")"/lib.sh

TABLE=$T_DIR/data/subject.tsv

test_expect_success 'subject table (spec §5.5)' '
	grep -v "^#" "$TABLE" | cut -f1 >in &&
	grep -v "^#" "$TABLE" | cut -f2- >expect &&
	pw-test parse-subject net-next <in >out &&
	test_cmp expect out
'

test_expect_success '[PATCHv2 1/3] is not a version prefix' '
	echo "[PATCHv2 1/3] foo" | pw-test parse-subject >out &&
	printf "\"[PATCHv2,1/3] foo\"\tPATCHv2|1/3\t1/3\tv1\t-\n" >expect &&
	test_cmp expect out
'

test_expect_success '[patch 1 of 2] is no Mercurial marker (case-sensitive)' '
	echo "[patch 1 of 2] foo" | pw-test parse-subject >out &&
	printf "\"[1,of,2] foo\"\t1|of|2\tnone\tv1\t-\n" >expect &&
	test_cmp expect out
'

test_expect_success '[PATCH 1/2] alone keeps a trailing space' '
	echo "[PATCH 1/2]" | pw-test parse-subject >out &&
	printf "\"[1/2] \"\t1/2\t1/2\tv1\t-\n" >expect &&
	test_cmp expect out
'

test_expect_success 'the linkname is dropped only when given' '
	echo "[PATCH net-next 1/2] x" | pw-test parse-subject >out &&
	echo "[PATCH net-next 1/2] x" | pw-test parse-subject NET-next >>out &&
	printf "\"[net-next,1/2] x\"\tnet-next|1/2\t1/2\tv1\t-\n" >expect &&
	printf "\"[1/2] x\"\t1/2\t1/2\tv1\t-\n" >>expect &&
	test_cmp expect out
'

test_expect_success 'project subject_match (§4, SubjectMatchTest)' '
	printf "%s\n" "[PATCH PROJECTX another]" "[PATCH keyword] subsystem" \
		"[PATCH NOT-PROJECT-X]" "[patch project x] lower case" \
		"line one" >subjects &&
	pw-test subject-match ".*PROJECT[\\s]?X.*" <subjects >out &&
	printf "1\n0\n0\n1\n0\n" >expect &&
	test_cmp expect out &&
	pw-test subject-match "keyword" <subjects >out &&
	printf "0\n1\n0\n0\n0\n" >expect &&
	test_cmp expect out &&
	pw-test subject-match "^(?P<x>\\[patch)" <subjects >out &&
	printf "1\n1\n1\n1\n0\n" >expect &&
	test_cmp expect out &&
	echo x | pw-test subject-match "(unclosed" >out &&
	echo -1 >expect &&
	test_cmp expect out
'

test_expect_success 'series names from cover names (§12)' '
	printf "series\t%s\n" "[0/2] A sample series" "[v2,0/3]   foo bar" \
		"no prefix" "[1/2] " "[unclosed x" "[a] [b] c" |
		pw-test header >out &&
	printf "series\t[%s]\n" "A sample series" "foo bar" "no prefix" "" \
		"[unclosed x" "[b] c" >expect &&
	test_cmp expect out
'

test_done
