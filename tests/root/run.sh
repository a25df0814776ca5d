#!/bin/bash
# sbx run by root (issue 16 item 6): the sandbox's root must be an
# unprivileged id outside.  The integration suite refuses to run as root,
# so .ci/run calls this script as root.  Each check has a control with
# --host-root, where the same probe succeeds.  Usage: tests/root/run.sh
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
SBX=$root/sbx
pass=0 failn=0

[ "$(id -u)" = 0 ] || { echo "SKIP: tests/root/run.sh needs root (it is the root step of .ci/run)"; exit 77; }
[ -x "$SBX" ] || { echo "missing $SBX: run make first" >&2; exit 1; }

ok() { pass=$((pass + 1)); echo "ok    $1"; }
bad() { failn=$((failn + 1)); echo "FAIL  $1"; }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}
refused() { # refused NAME COMMAND...: passes when COMMAND fails
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then bad "$name"; else ok "$name"; fi
}

T=$(mktemp -d /tmp/sbx-root.XXXXXX)
saved_subuid=$T/subuid saved_subgid=$T/subgid
cp -a /etc/subuid "$saved_subuid" 2>/dev/null || : >"$saved_subuid"
cp -a /etc/subgid "$saved_subgid" 2>/dev/null || : >"$saved_subgid"
restore() {
	cp -a "$saved_subuid" /etc/subuid
	cp -a "$saved_subgid" /etc/subgid
	rm -rf "$T"
}
trap restore EXIT
# Searchable by the sandbox's unprivileged id, as a CI checkout would be;
# still root's own, mode 0755, so not writable by it.
chmod 755 "$T"
cd "$T" || exit 1

# enter_checks LABEL [--host-root]: sbx enter into a running sandbox runs
# with the sandbox's ids, so /etc/shadow stays unreadable (readable with
# --host-root, the control).
enter_checks() {
	local label=$1 opt=${2:-} name="root-$$-${2:+host}"
	("$SBX" $opt --name "$name" -- sleep 30 >/dev/null 2>&1 &)
	local n=0
	until "$SBX" ps 2>/dev/null | grep -q "^$name "; do
		n=$((n + 1)); [ $n -gt 100 ] && break; sleep 0.1
	done
	if [ -z "$opt" ]; then
		refused "$label: sbx enter cannot read /etc/shadow" "$SBX" enter "$name" -- cat /etc/shadow
		check "$label: sbx enter runs as uid 65534 or the range outside" sh -c "\"$SBX\" enter $name -- cat /proc/self/uid_map | awk 'NR==1 && \$2 != 0 {ok=1} END {exit !ok}'"
	else
		check "$label: control: sbx enter with --host-root reads /etc/shadow" "$SBX" enter "$name" -- cat /etc/shadow
	fi
	"$SBX" stop "$name" >/dev/null 2>&1
}

run_checks() { # run_checks LABEL OUTSIDE-UID
	local label=$1 want=$2 out err
	out=$("$SBX" -- cat /proc/self/uid_map 2>"$T/err")
	err=$(cat "$T/err")
	check "$label: root inside is uid $want outside" [ "$(awk 'NR==1 {print $1, $2}' <<<"$out")" = "0 $want" ]
	check "$label: one note on stderr" [ "$(grep -c 'sbx runs as root' <<<"$err")" = 1 ]
	check "$label: id inside is 0" [ "$("$SBX" -- id -u 2>/dev/null)" = 0 ]
	refused "$label: /etc/shadow unreadable" "$SBX" -- cat /etc/shadow
	check "$label: no supplementary groups" [ "$("$SBX" -- sh -c 'grep ^Groups: /proc/self/status' 2>/dev/null | tr -d ' \t')" = "Groups:" ]
	refused "$label: root's files not writable through a bind" "$SBX" --bind "$T" --chdir / -- sh -c "echo x >$T/pwned"
	check "$label: nothing written" [ ! -e "$T/pwned" ]
	check "$label: build still runs a command" "$SBX" --profile build -- true
	check "$label: demo nests a user namespace" "$SBX" --profile demo -- unshare -Ur true
	check "$label: --dry-run says so" grep -q "sbx runs as root" <<<"$("$SBX" --dry-run -- true)"
	enter_checks "$label" ""
	# Controls: --host-root keeps today's root -> root.
	enter_checks "$label" --host-root
	check "$label: control --host-root reads /etc/shadow" "$SBX" --host-root -- cat /etc/shadow
	check "$label: control --host-root writes through a bind" "$SBX" --host-root --bind "$T" --chdir / -- sh -c "echo x >$T/control"
	check "$label: control write arrived" [ -e "$T/control" ]
	rm -f "$T/control"
	check "$label: control --host-root maps 0 -> 0" [ "$("$SBX" --host-root -- awk 'NR==1 {print $1, $2}' /proc/self/uid_map 2>/dev/null)" = "0 0" ]
}

sed -i '/^root:/d' /etc/subuid /etc/subgid
run_checks "no range" 65534
echo "root:300000:65536" >>/etc/subuid
echo "root:300000:65536" >>/etc/subgid
run_checks "root's range" 300000

echo
echo "root: $pass passed, $failn failed"
[ "$failn" = 0 ]
