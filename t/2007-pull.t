#!/bin/sh
# Pull requests (ingest spec §6.6): the URL of a git request-pull body.
. "$(dirname "$0")"/lib.sh

D=$T_DIR/data/mail

url() {
	pw-test parse-mail <"$1" | sed -n "s/^pull-url: //p"
}

# pr SUBJECT AVAIL-LINE URL-LINES...: a request-pull mail
pr() {
	subj=$1 avail=$2
	shift 2
	printf "From: M <m@example.com>\nSubject: %s\nMessage-Id: <pr@example.com>\n\n" "$subj"
	printf "The following changes since commit 0123456789abcdef0123456789abcdef01234567:\n\n  base (2024-01-01)\n\n"
	printf "%s\n\n" "$avail"
	for l in "$@"; do printf "%s\n" "$l"; done
	printf "\nfor you to fetch changes up to 89abcdef0123456789abcdef0123456789abcdef:\n"
}

test_expect_success 'URL and tag on one line' '
	url "$D/pull-request.mbox" >out &&
	echo "git://git.example.com/pub/scm/widgets/widgets.git tags/widgets-fixes-6.9" >expect &&
	test_cmp expect out
'

test_expect_success 'the tag wrapped onto the next line (like 0023)' '
	url "$D/pull-request-wrapped.mbox" >out &&
	echo "https://git.example.com/pub/scm/linux/kernel/git/someone/gadgets.git/ tags/gadgets-for-v2.1" >expect &&
	test_cmp expect out
'

test_expect_success 'git+ssh, trailing spaces (like 0004, 0024)' '
	url "$D/pull-request-ssh.mbox" >out &&
	echo "git+ssh://git@git.example.com/~maint/thing.git for-next" >expect &&
	test_cmp expect out
'

test_expect_success 'scp-style URL with a diff: both are kept (like 0003)' '
	pw-test parse-mail <"$D/pull-request-with-diff.mbox" >out &&
	grep -q "^pull-url: maint@git.example.com:thing.git fixes\$" out &&
	grep -q "^diff: 222 bytes\$" out &&
	grep -q "^class: pull\$" out
'

test_expect_success '"Git repository" and a trailing space (git 2.14.3, like 0017)' '
	pr "[GIT] Networking" "are available in the Git repository at: " \
		"  git://git.example.com/pub/scm/net" >m &&
	url m >out &&
	echo "git://git.example.com/pub/scm/net" >expect &&
	test_cmp expect out
'

test_expect_success 'http URL with a branch' '
	pr "[GIT PULL] x" "are available in the git repository at:" \
		"  http://git.example.com/x.git master" >m &&
	url m >out &&
	echo "http://git.example.com/x.git master" >expect &&
	test_cmp expect out
'

test_expect_success 'the last "are available" block wins' '
	pr "[GIT PULL] x" "are available in the git repository at:" \
		"  git://first.example.com/a.git" "" \
		"are available in the git repository at:" "" \
		"  git://second.example.com/b.git tag" >m &&
	url m >out &&
	echo "git://second.example.com/b.git tag" >expect &&
	test_cmp expect out
'

test_expect_success 'no "following changes" line: no pull request' '
	sed "/^The following changes/d" "$D/pull-request.mbox" >m &&
	url m >out &&
	echo "-" >expect &&
	test_cmp expect out &&
	pw-test parse-mail <m >out &&
	grep -q "^class: comment\$" out
'

test_expect_success 'a pull request in a reply is a comment' '
	sed "s/^Subject: /Subject: Re: /" "$D/pull-request.mbox" >m &&
	pw-test parse-mail <m >out &&
	grep -q "^class: comment\$" out
'

test_expect_success 'a URL over 255 characters is a meta error' '
	long=$(printf "%0300d" 0) &&
	pr "[GIT PULL] long" "are available in the git repository at:" \
		"  git://git.example.com/$long.git" >m &&
	pw-test parse-mail <m >out &&
	grep -q "^class: pull\$" out &&
	grep -q "^meta-error: pull URL longer than 255 characters\$" out
'

test_expect_success 'a pathological body does not hang' '
	{
		echo "From: M <m@example.com>" && echo "Subject: [GIT PULL] x" &&
		echo "Message-Id: <p@example.com>" && echo &&
		for i in $(seq 1 200); do
			echo "The following changes since commit $i" &&
			echo "are available in the git repository at:" &&
			printf "  git://%s!\n" "$(printf "%02000d" 0)"
		done
	} >m &&
	pw-test parse-mail --brief <m >out &&
	grep -q "^pull-url: -\$" out
'

test_done
