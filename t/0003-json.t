#!/bin/sh
# common/json.c: the JSON Django REST framework writes (nulls, dates,
# escaping).
. "$(dirname "$0")"/lib.sh

test_expect_success 'JSON helpers write what DRF writes' '
	pw-test json >out &&
	! grep "^not ok" out &&
	test "$(grep -c "^ok" out)" -ge 20
'

test_done
