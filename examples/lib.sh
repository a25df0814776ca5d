# examples/lib.sh - sourced by every demo script; not a demo itself.
#
# Finds sbx: $SBX when set (the test suite passes its build), else the
# tree's ./sbx when the script runs from a built sbx source tree, else `sbx`
# from $PATH.  Gives each demo a private work directory ($work) that is
# removed at exit, with every process the demo started (by PID): on a
# normal exit, on an error, and on Ctrl-C, TERM or HUP.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${SBX:-}" ]; then
	:
elif [ -x "$here/../sbx" ] && [ -f "$here/../src/spec.c" ]; then
	SBX=$(cd "$here/.." && pwd)/sbx
else
	SBX=sbx
fi
if ! command -v "$SBX" >/dev/null 2>&1; then
	echo "sbx not found: install it, build it (make), or set SBX=/path/to/sbx" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	echo "run the examples as your normal user: the point is that none of them needs root" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-example.XXXXXX")
started=()
# TERM first, so each sbx stops its sandbox (and its helpers) and removes
# its record; KILL after 10 s for one that does not (a killed sbx still
# takes its sandbox with it: PR_SET_PDEATHSIG and PID 1).
cleanup() {
	local p n=100
	# A second Ctrl-C must not cut the cleanup short.
	trap '' INT TERM HUP
	for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${started[@]}"; do
		while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	chmod -R u+rwx "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# The articles run as root, whose PATH has the sbin directories (pivot_root,
# capsh, setcap); a user's on Debian does not.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH
# The sandboxes start in / : the caller's directory may be under /tmp,
# which is private inside, and a demo says where it wants to be.
cd /

step() { printf '\n# step: %s\n' "$*"; }
say() { printf '# %s\n' "$*"; }

# show CMD...: prints the command (sbx for the binary's path), then runs it.
show() {
	print_cmd "$@"
	"$@"
}

# show_bg CMD...: prints the command, then starts it in the background; its
# PID (the command's own, not that of a subshell running it: `show CMD &`
# would put a subshell behind $!, and cleanup would kill that and orphan
# the command) is appended to $started and left in $bg.
show_bg() {
	print_cmd "$@"
	"$@" &
	bg=$!
	started+=("$bg")
}

print_cmd() {
	local a out=()
	for a in "$@"; do
		if [ "$a" = "$SBX" ]; then
			out+=(sbx)
		elif [[ "$a" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
			out+=("$a")
		else
			out+=("'${a//\'/\'\\\'\'}'")
		fi
	done
	printf '$ %s\n' "${out[*]}"
}

# show_fails CMD...: like show, for a command that is expected to fail.
show_fails() {
	local rc=0
	show "$@" || rc=$?
	echo "(exit status $rc)"
	[ "$rc" != 0 ] || { echo "error: that was expected to fail" >&2; return 1; }
}

# wait_until TENTHS CMD...: waits at most TENTHS tenths of a second for CMD.
wait_until() {
	local n=$1
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

die() { echo "error: $*" >&2; exit 1; }


# inside NAME: saves stdin as $work/NAME, a script for a sandbox to run (it
# sees $work through --bind "$work"), and prints it.
inside() {
	cat >"$work/$1"
	say "$1, run inside:"
	sed 's/^/#     /' "$work/$1"
}
