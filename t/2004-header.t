#!/bin/sh
# Header primitives: RFC 2047 "clean header" values (§2.2, D3), From
# splitting and validation (§8.1, §8.2), dates (§2.5, D2), list ids (§4),
# and the stored header block (§2.6).
. "$(dirname "$0")"/lib.sh

TABLE=$T_DIR/data/header.tsv

test_expect_success 'header table' '
	grep -v "^#" "$TABLE" | cut -f1,2 >in &&
	grep -v "^#" "$TABLE" | cut -f1,3- >expect &&
	pw-test header <in >out &&
	test_cmp expect out
'

test_expect_success 'raw UTF-8 in a header is read as UTF-8 (D3)' '
	printf "clean\tRafa\305\202 Mi\305\202ecki\n" | pw-test header >out &&
	printf "clean\t[Rafa\305\202 Mi\305\202ecki]\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a zone-less date is UTC (D2); garbage is "now"' '
	printf "date\tTue, 2 Jan 2024 03:04:05\ndate\t2 Jan 2024 03:04:05 -0000\ndate\tsoon\n" |
		pw-test header >out &&
	printf "date\tutc: 2024-01-02 03:04:05\ndate\tutc: 2024-01-02 03:04:05\ndate\tnow\n" >expect &&
	test_cmp expect out
'

test_expect_success 'each invalid header byte becomes U+FFFD' '
	printf "clean\ta\377\376b\n" | pw-test header >out &&
	printf "clean\t[a\357\277\275\357\277\275b]\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a base64 word of impossible length is "None"' '
	printf "clean\t=?utf-8?b?QUJDR?=\n" | pw-test header >out &&
	printf "clean\tNone\n" >expect &&
	test_cmp expect out
'

# The block keeps ASCII values as they are and encodes 8-bit ones; either
# way it parses back to the same clean value.
test_expect_success 'header block values parse back to the same clean value' '
	printf "block\tplain  value\\\\n  folded\n" >in &&
	printf "block\tRafa\305\202 Mi\305\202ecki <r@example.com>\n" >>in &&
	printf "block\tbroken \377 bytes\n" >>in &&
	printf "block\t%s\n" "$(printf "Za\305\274\303\263\305\202\304\207 g\304\231\305\233l\304\205 ja\305\272\305\204 %.0s" 1 2 3 4 5 6)" >>in &&
	pw-test header <in | sed "s/^block\tX: /clean\t/" >blocks &&
	! grep -q "[^ -~	]" blocks &&
	pw-test header <blocks >again &&
	sed "s/^block/clean/" in | pw-test header >direct &&
	test_cmp direct again
'

test_expect_success 'a long 8-bit value is folded into encoded-words' '
	printf "block\t%s\n" "$(printf "\303\251%.0s" $(seq 1 100))" |
		pw-test header >out &&
	test $(grep -o "=?utf-8?b?" out | wc -l) -gt 2 &&
	grep -q "?=\\\\n =?utf-8?b?" out
'

test_done
