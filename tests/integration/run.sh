#!/bin/bash
# Integration tests: run the real sbx as an unprivileged user and assert what
# the sandboxed process sees.  Usage: tests/integration/run.sh [FILTER...]
# Each t_*.sh file defines test_* functions; a test passes by returning 0,
# fails with `fail MSG`, and skips with `skip REASON` (the reason is printed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export SBX_ROOT=$root SBX=$root/sbx PROBE=$root/build/sbx-probe
export SBX_TEST_LIB=$here/lib.sh

if [ "$(id -u)" = 0 ]; then
	echo "integration tests must run as an unprivileged user: root hides namespace and permission bugs." >&2
	echo "run them as your normal user, e.g. \`sudo -u SOMEUSER make check\`" >&2
	exit 1
fi
for f in "$SBX" "$PROBE"; do
	[ -x "$f" ] || { echo "missing $f: run make first" >&2; exit 1; }
done

tests=()
for f in "$here"/t_*.sh; do
	for t in $(grep -oE '^test_[a-zA-Z0-9_]+' "$f"); do
		if [ $# -eq 0 ]; then
			tests+=("$f:$t")
		else
			for pat in "$@"; do
				case "$t" in *"$pat"*) tests+=("$f:$t"); break ;; esac
			done
		fi
	done
done

pass=0 failn=0 skipn=0
logdir=$(mktemp -d "${TMPDIR:-/tmp}/sbx-it.XXXXXX")
trap 'rm -rf "$logdir"' EXIT
for entry in "${tests[@]}"; do
	file=${entry%%:*} name=${entry##*:}
	log=$logdir/$name.log
	# fail/skip write their first message here, also from a subshell.
	export SBX_TEST_MARK=$logdir/$name.mark
	: >"$SBX_TEST_MARK"
	timeout -k 5 120 bash -c 'set -u; source "$SBX_TEST_LIB"; source "$1"; setup_tmp; "$2"; rc=$?; exit $rc' _ "$file" "$name" >"$log" 2>&1
	rc=$?
	mark=$(head -n 1 "$SBX_TEST_MARK")
	case $mark in
	FAIL:*) [ $rc = 0 ] && rc=1 ;;
	SKIP:*) [ $rc = 124 ] || rc=77 ;;
	esac
	case $rc in
	0) pass=$((pass + 1)); echo "ok    $name" ;;
	77) skipn=$((skipn + 1)); echo "SKIP  $name: ${mark#SKIP: }" ;;
	*)
		failn=$((failn + 1))
		[ $rc = 124 ] && echo "(timed out after 120s)" >>"$log"
		echo "FAIL  $name"
		sed 's/^/      | /' "$log" | tail -n 40
		;;
	esac
done
echo
echo "integration: $pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ] && [ $((pass + failn + skipn)) -gt 0 ]
