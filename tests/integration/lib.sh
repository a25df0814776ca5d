# Helpers for integration tests (sourced).
T=
setup_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/sbx-t.XXXXXX")
	trap 'cleanup_tmp' EXIT
}
cleanup_tmp() {
	# End only what this test started, by PID.
	for p in ${STARTED_PIDS:-}; do kill -9 "$p" 2>/dev/null; done
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
track() { STARTED_PIDS="${STARTED_PIDS:-} $1"; }

# Both also work inside $(...) or a pipeline, where exit only leaves the
# subshell: they leave a mark run.sh reads ($SBX_TEST_MARK), so a skip
# there skips the test and a failure fails it, whatever the caller does
# with the subshell's status.  Printed to stderr too, which $(...) does not
# capture.
mark_test() { # mark_test SKIP|FAIL MESSAGE
	[ -n "${SBX_TEST_MARK:-}" ] && [ ! -s "$SBX_TEST_MARK" ] && echo "$1: $2" >"$SBX_TEST_MARK"
	echo "$1: $2" >&2
}
fail() { mark_test FAIL "$*"; exit 1; }
skip() { mark_test SKIP "$*"; exit 77; }
# need PROGRAM [PACKAGE]: skips the test when PROGRAM is not installed.
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed${2:+ (Debian package $2)}"; }

# The probe's directory, for profiles that hide $HOME (the tree may be there).
PROBE_BIND=(--ro-bind "$(dirname "$PROBE")")

# Runs sbx.  Never background this function: `sbx ... &` would put a
# subshell, not sbx, behind $!; use "$SBX" ... & for that.
sbx() { "$SBX" "$@"; }

# probe_get KEY <<< "$output": the value of KEY= in probe output.
probe_get() { grep -m1 "^$1=" | cut -d= -f2-; }

expect_eq() { # expect_eq WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
expect_match() { # expect_match WHAT GOT REGEX
	[[ "$2" =~ $3 ]] || fail "$1: got '$2', want a match for /$3/"
}
expect_no_match() {
	[[ "$2" =~ $3 ]] && fail "$1: got '$2', which must not match /$3/"
	return 0
}

host_ns() { stat -Lc %i "/proc/self/ns/$1"; }

# Waits up to $2 tenths of a second for a command to succeed.
wait_for() {
	local cmd=$1 n=${2:-50}
	while [ "$n" -gt 0 ]; do
		eval "$cmd" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

has_subids() {
	local u; u=$(id -un)
	if command -v getsubids >/dev/null 2>&1; then
		getsubids "$u" >/dev/null 2>&1 && getsubids -g "$u" >/dev/null 2>&1
	else
		grep -q "^$u:" /etc/subuid 2>/dev/null && grep -q "^$u:" /etc/subgid 2>/dev/null
	fi
}
# First subordinate uid range of the caller: "START COUNT"
first_subuid() {
	local u; u=$(id -un)
	if command -v getsubids >/dev/null 2>&1; then
		getsubids "$u" | awk 'NR==1 {print $3, $4}'
	else
		awk -F: -v u="$u" '$1 == u {print $2, $3; exit}' /etc/subuid
	fi
}
# Pids of processes whose command line contains $1 (scanned from the host's /proc).
pids_with() {
	local p c
	for p in /proc/[0-9]*; do
		# No grep here: its own command line would contain the pattern.
		c=$( { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null)
		[[ "$c" == *"$1"* ]] && echo "${p#/proc/}"
	done
	return 0
}

# A free TCP port on the host's 127.0.0.1 (t_net, t_proxy).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A bounded HTTP GET; prints the body, fails on any error.
HTTP_GET='import sys, urllib.request as u; print(u.urlopen(sys.argv[1], timeout=20).read().decode().strip())'
