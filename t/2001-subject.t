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

test_done
