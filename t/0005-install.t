#!/bin/sh
# make install: PREFIX and DESTDIR honoured; what lands there works.
. "$(dirname "$0")"/lib.sh

inst=$TRASH/inst
san=
case $PW_BUILD in *build-check*) san=SANITIZE=1 ;; esac

test_expect_success 'make install into DESTDIR with PREFIX=/usr' '
	make -s -C "$SRC_DIR" O="$PW_BUILD" $san PREFIX=/usr DESTDIR="$inst" install >log 2>&1 &&
	for f in usr/bin/pw usr/sbin/pw.fcgi usr/libexec/patchwork/pw-db \
		usr/libexec/patchwork/pw-admin usr/libexec/patchwork/pw-ingress \
		usr/share/patchwork/sql/0001-initial.sql etc/patchwork.conf \
		usr/share/man/man8/pw-admin.8 usr/share/man/man5/patchwork.conf.5 \
		usr/share/patchwork/examples/nginx/patchwork.conf \
		usr/share/patchwork/examples/systemd/pw-fcgi.service
	do
		test -e "$inst/$f" || { echo "missing $f"; return 1; }
	done
'

test_expect_success 'nothing lands outside DESTDIR' '
	find "$inst" -mindepth 1 -maxdepth 1 | sed "s|^$inst/||" | sort >top &&
	printf "etc\nusr\n" >expect &&
	test_cmp expect top
'

test_expect_success 'the installed config parses, and pw finds its commands' '
	PW_LIBEXECDIR="$inst/usr/libexec/patchwork" "$inst/usr/bin/pw" \
		-c "$inst/etc/patchwork.conf" config -n >out &&
	grep "configuration OK" out &&
	PW_LIBEXECDIR="$inst/usr/libexec/patchwork" "$inst/usr/bin/pw" --help >help &&
	grep -w admin help && grep -w db help && grep -w ingress help
'

test_expect_success 'make uninstall removes it again' '
	make -s -C "$SRC_DIR" O="$PW_BUILD" $san PREFIX=/usr DESTDIR="$inst" uninstall >log 2>&1 &&
	test ! -e "$inst/usr/bin/pw" &&
	test ! -e "$inst/usr/libexec/patchwork" &&
	test ! -e "$inst/usr/share/man/man8/pw-admin.8"
'

test_done
