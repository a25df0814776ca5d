#!/bin/bash
# bench.sh - what sbx costs, next to bwrap and unshare, measured in one run
# on one machine.  Prints the machine, then one markdown table per section.
# See bench/README.md for what each figure means.
#
#   bench/bench.sh [--quick] [--section NAME]...     (or: make bench)
#
# Sections: startup build seccomp net proxy memory (default: all).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SBX=${SBX:-$root/sbx}
BB=$root/build/bench
# The tree's profiles, not whatever an older install left in /usr/local.
export SBX_PROFILE_PATH=$root/profiles
ALL_SECTIONS="startup build seccomp net proxy memory"

usage() {
	cat <<EOF
Usage: bench/bench.sh [--quick] [--section NAME]...
  --quick          few runs of everything: a smoke test, not figures to quote
  --section NAME   run only this section (repeatable): ${ALL_SECTIONS// /, }
Run it as your normal (unprivileged) user, from \`make bench\` or directly
after \`make sbx build/bench/syscall_loop build/bench/fdexec build/bench/export-bpf\`.
EOF
}

quick=0
sections=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--section)
		[ $# -ge 2 ] || { echo "bench: --section needs a name (${ALL_SECTIONS// /, })" >&2; exit 2; }
		case " $ALL_SECTIONS " in
		*" $2 "*) sections+=("$2") ;;
		*) echo "bench: unknown section \"$2\" (one of: ${ALL_SECTIONS// /, })" >&2; exit 2 ;;
		esac
		shift
		;;
	--section=*) set -- --section "${1#--section=}" "${@:2}"; continue ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench: unknown option \"$1\" (see bench/bench.sh --help)" >&2; exit 2 ;;
	esac
	shift
done
[ ${#sections[@]} -gt 0 ] || read -ra sections <<<"$ALL_SECTIONS"

if [ "$(id -u)" = 0 ]; then
	echo "bench: run the benchmark as an unprivileged user: sbx, bwrap and unshare take other paths as root, so the figures would not be the ones users see." >&2
	echo "run it as your normal user, e.g. \`sudo -u SOMEUSER make bench\`" >&2
	exit 1
fi

for t in hyperfine python3; do
	command -v "$t" >/dev/null || { echo "bench: $t is needed (Debian: apt-get install $t)" >&2; exit 1; }
done
for f in "$SBX" "$BB/syscall_loop" "$BB/fdexec" "$BB/export-bpf"; do
	[ -x "$f" ] || { echo "bench: missing $f: run \`make bench\` (or make those targets) first" >&2; exit 1; }
done

if [ $quick = 1 ]; then
	STARTUP_WARM=1 STARTUP_RUNS=5 STARTUP_ROUNDS=1 BUILD_WARM=0 BUILD_RUNS=1
	LOOP_N=1000000 LOOP_RUNS=2 NET_SECS=1 NET_RUNS=1 MEM_RUNS=1
else
	STARTUP_WARM=2 STARTUP_RUNS=60 STARTUP_ROUNDS=6 BUILD_WARM=1 BUILD_RUNS=5
	LOOP_N=10000000 LOOP_RUNS=7 NET_SECS=5 NET_RUNS=3 MEM_RUNS=3
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/sbx-bench.XXXXXX") || exit 1
STARTED=()
cleanup() {
	# Only what this script started, by pid.
	for p in "${STARTED[@]}"; do kill -9 "$p" 2>/dev/null; done
	chmod -R u+rwx "$W" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# The build profile binds the current directory: keep it a scratch one.
cd "$W" || exit 1

# ---- results and tables ----

# Rows of the current table: name, median, min, max, n/a reason, reference.
R_NAME=() R_MED=() R_MIN=() R_MAX=() R_NA=() R_REF=()
row_add() { # NAME MEDIAN MIN MAX [REF]
	R_NAME+=("$1") R_MED+=("$2") R_MIN+=("$3") R_MAX+=("$4") R_NA+=("") R_REF+=("${5:-}")
}
row_na() { # NAME REASON
	R_NAME+=("$1") R_MED+=("") R_MIN+=("") R_MAX+=("") R_NA+=("$2") R_REF+=("")
}
row_med() { # NAME: the median of that row, empty when n/a or missing
	local i
	for i in "${!R_NAME[@]}"; do
		[ "${R_NAME[$i]}" = "$1" ] && { echo "${R_MED[$i]}"; return; }
	done
}

# stats < numbers: "median min max"
stats() {
	python3 -c '
import statistics, sys
v = [float(x) for x in sys.stdin.read().split()]
print(statistics.median(v), min(v), max(v)) if v else print()'
}

# ratio A B [FMT]: A/B, or "?" when either is missing.
ratio() {
	python3 -c '
import sys
a, b = sys.argv[1], sys.argv[2]
print("?" if not a or not b or float(b) == 0 else ("%.2f" % (float(a) / float(b))))' "$1" "$2"
}

# diff_ms A B: A-B, or "?" when either is missing.
diff_ms() {
	python3 -c '
import sys
a, b = sys.argv[1], sys.argv[2]
print("?" if not a or not b else ("%.2f" % (float(a) - float(b))))' "$1" "$2"
}

# table TITLE UNIT DECIMALS REFNAME: prints the rows collected so far and
# clears them.  A row's own reference, when it has one, wins over REFNAME.
table() {
	local title=$1 unit=$2 dec=$3 ref=$4 i w=4 name med range rat r refmed mw=12
	for name in "${R_NAME[@]}"; do [ ${#name} -gt $w ] && w=${#name}; done
	[ $((${#unit} + 7)) -gt $mw ] && mw=$((${#unit} + 7))
	echo
	echo "### $title"
	echo
	printf '| %-*s | %*s | %21s | %-22s |\n' "$w" "what" "$mw" "median $unit" "min-max" "ratio to reference"
	printf '|%s|%s:|%s:|%s|\n' "$(printf -- '-%.0s' $(seq $((w + 2))))" "$(printf -- '-%.0s' $(seq $((mw + 1))))" \
		"$(printf -- '-%.0s' $(seq 22))" "$(printf -- '-%.0s' $(seq 24))"
	for i in "${!R_NAME[@]}"; do
		name=${R_NAME[$i]}
		if [ -n "${R_NA[$i]}" ]; then
			printf '| %-*s | %*s | %21s | %-22s |\n' "$w" "$name" "$mw" "n/a" "" "(${R_NA[$i]})"
			continue
		fi
		med=$(printf "%.${dec}f" "${R_MED[$i]}")
		range=$(printf "%.${dec}f-%.${dec}f" "${R_MIN[$i]}" "${R_MAX[$i]}")
		r=${R_REF[$i]:-$ref}
		if [ "$r" = "-" ]; then
			rat="-"
		elif [ "$name" = "$r" ]; then
			rat="1.00 (reference)"
		else
			refmed=$(row_med "$r")
			rat="$(ratio "${R_MED[$i]}" "$refmed")x"
			[ "$rat" = "?x" ] && rat="? (no reference)"
		fi
		printf '| %-*s | %*s | %21s | %-22s |\n' "$w" "$name" "$mw" "$med" "$range" "$rat"
	done
	R_NAME=() R_MED=() R_MIN=() R_MAX=() R_NA=() R_REF=()
}

# target WHAT VALUE GOAL [MIN-RATIO]: one line saying whether VALUE (a ratio
# of medians) <= GOAL; the ratio of the minimums, when given, is the
# least-disturbed view on a busy machine.
target() {
	local what=$1 v=$2 goal=$3 m=${4:-} verdict
	if [ -z "$v" ] || [ "$v" = "?" ]; then
		verdict="not measured"
	elif python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$v" "$goal"; then
		verdict="met"
	else
		verdict="MISSED"
	fi
	printf -- '- target: %s: %s%s (goal <= %s): %s\n' "$what" "${v:-?}" "${m:+ (of the minimums: $m)}" "$goal" "$verdict"
}

# target_ge WHAT VALUE GOAL: like target, for a figure that must reach GOAL.
target_ge() {
	local what=$1 v=$2 goal=$3 verdict
	if [ -z "$v" ] || [ "$v" = "?" ]; then
		verdict="not measured"
	elif python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$v" "$goal"; then
		verdict="met"
	else
		verdict="MISSED"
	fi
	printf -- '- target: %s: %s (goal >= %s): %s\n' "$what" "${v:-?}" "$goal" "$verdict"
}

# Why a command cannot run: the last line it printed, without "sbx: ".
why_not() { # OUTPUT
	local l
	l=$(printf '%s\n' "$1" | sed '/^[[:space:]]*$/d' | tail -n1)
	l=${l#sbx: }
	echo "${l:-failed without a message}" | cut -c1-100
}

# ---- startup: hyperfine ----

# Startup commands are registered with `timed NAME CMD...` and measured by
# timed_run: ROUNDS rounds, each running every command RUNS/ROUNDS times
# through hyperfine -N (no shell in between) after WARM warm-up runs, so
# that a burst of load on a shared machine spreads over all of them.  One
# untimed check first: a command that fails gets "n/a (its message)".
T_NAME=() T_CMD=()
timed() { # NAME CMD...
	T_NAME+=("$1")
	shift
	T_CMD+=("$(printf '%q ' "$@")")
}

timed_run() { # WARM RUNS ROUNDS
	local warm=$1 runs=$2 rounds=$3 i r out
	local -a vals=() na=()
	for i in "${!T_NAME[@]}"; do
		if ! out=$(eval "timeout 120 ${T_CMD[$i]}" 2>&1 >/dev/null </dev/null); then
			na[$i]=$(why_not "$out")
		fi
	done
	for ((r = 0; r < rounds; r++)); do
		for i in "${!T_NAME[@]}"; do
			[ -n "${na[$i]:-}" ] && continue
			if ! hyperfine -N --style none --warmup "$warm" --runs $((runs / rounds)) \
				--export-json "$W/h.json" "${T_CMD[$i]}" >"$W/h.log" 2>&1; then
				na[$i]="failed while timed: $(why_not "$(cat "$W/h.log")")"
				continue
			fi
			vals[$i]+="$(python3 -c '
import json, sys
print(" ".join(str(t * 1000) for t in json.load(open(sys.argv[1]))["results"][0]["times"]))' "$W/h.json") "
		done
	done
	for i in "${!T_NAME[@]}"; do
		if [ -n "${na[$i]:-}" ]; then
			row_na "${T_NAME[$i]}" "${na[$i]}"
		else
			# shellcheck disable=SC2046
			row_add "${T_NAME[$i]}" $(echo "${vals[$i]}" | stats)
		fi
	done
	T_NAME=() T_CMD=()
}

# row_min NAME: the minimum of that row (the least disturbed run).
row_min() {
	local i
	for i in "${!R_NAME[@]}"; do
		[ "${R_NAME[$i]}" = "$1" ] && { echo "${R_MIN[$i]}"; return; }
	done
}

section_startup() {
	local bw=(bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp)
	local bpf=$W/default.bpf w=$STARTUP_WARM n=$STARTUP_RUNS
	local tn=true
	local t_bw t_bws t_single t_singles t_sub t_def m_bw m_bws m_single m_singles m_sub m_def t_ua m_ua t_none m_none mode

	mkdir -p "$W/ovl"
	echo "data" >"$W/ovl/file"
	"$BB/export-bpf" default >"$bpf" || { echo "bench: export-bpf failed" >&2; return 1; }

	timed "true" true
	timed "unshare -Urfpm --mount-proc" unshare -Urfpm --mount-proc true
	timed "unshare --map-auto --map-root-user -fpm --mount-proc" unshare --map-auto --map-root-user -fpm --mount-proc true
	if command -v bwrap >/dev/null; then
		timed "bwrap" "${bw[@]}" "$tn"
		timed "fdexec alone (the wrapper below)" "$BB/fdexec" 3 "$bpf" "$tn"
		timed "bwrap + sbx's default filter (fdexec)" "$BB/fdexec" 3 "$bpf" "${bw[@]}" --seccomp 3 "$tn"
	fi
	timed "sbx --map=single --seccomp=no" "$SBX" --map=single --seccomp=no -- "$tn"
	timed "sbx --map=single" "$SBX" --map=single -- "$tn"
	timed "sbx --map=subids --seccomp=no" "$SBX" --map=subids --seccomp=no -- "$tn"
	timed "sbx --profile default (subids)" "$SBX" --profile default --map=subids -- "$tn"
	timed "sbx --profile build" "$SBX" --profile build -- "$tn"
	timed "sbx --net=none" "$SBX" --net=none -- "$tn"
	timed "sbx --net=slirp4netns" "$SBX" --net=slirp4netns -- "$tn"
	timed "sbx --net=pasta" "$SBX" --net=pasta -- "$tn"
	timed "sbx --overlay DIR (kernel overlayfs)" "$SBX" --overlay "$W/ovl" --overlay-driver=kernel -- "$tn"
	timed "sbx --overlay DIR (fuse-overlayfs)" "$SBX" --overlay "$W/ovl" --overlay-driver=fuse -- "$tn"
	timed_run "$w" "$n" "$STARTUP_ROUNDS"
	command -v bwrap >/dev/null || row_na "bwrap" "bwrap not installed"

	t_bw=$(row_med "bwrap")
	t_bws=$(row_med "bwrap + sbx's default filter (fdexec)")
	t_single=$(row_med "sbx --map=single --seccomp=no")
	t_singles=$(row_med "sbx --map=single")
	t_sub=$(row_med "sbx --map=subids --seccomp=no")
	t_def=$(row_med "sbx --profile default (subids)")
	m_bw=$(row_min "bwrap") m_bws=$(row_min "bwrap + sbx's default filter (fdexec)")
	m_single=$(row_min "sbx --map=single --seccomp=no") m_singles=$(row_min "sbx --map=single")
	m_sub=$(row_min "sbx --map=subids --seccomp=no") m_def=$(row_min "sbx --profile default (subids)")
	t_ua=$(row_med "unshare --map-auto --map-root-user -fpm --mount-proc")
	m_ua=$(row_min "unshare --map-auto --map-root-user -fpm --mount-proc")
	t_none=$(row_med "sbx --net=none") m_none=$(row_min "sbx --net=none")
	local -A t_net=() m_net=()
	for mode in slirp4netns pasta; do
		t_net[$mode]=$(row_med "sbx --net=$mode") m_net[$mode]=$(row_min "sbx --net=$mode")
	done
	table "Startup: \`true\`, wall time per run ($STARTUP_ROUNDS interleaved rounds)" ms 2 "bwrap"
	echo
	echo "Goals of issue 18 (ratios of medians; of the minimums in brackets):"
	target "sbx --map=single (default filter) / bwrap without a filter" "$(ratio "$t_singles" "$t_bw")" 0.8 "$(ratio "$m_singles" "$m_bw")"
	target "sbx (default profile, subordinate IDs) / bwrap" "$(ratio "$t_def" "$t_bw")" 1.3 "$(ratio "$m_def" "$m_bw")"
	target "sbx (default profile, subordinate IDs) / unshare --map-auto" "$(ratio "$t_def" "$t_ua")" 1.5 "$(ratio "$m_def" "$m_ua")"
	for mode in slirp4netns pasta; do
		target "sbx --net=$mode startup over --net=none, ms" "$(diff_ms "${t_net[$mode]}" "$t_none")" 20 \
			"$(diff_ms "${m_net[$mode]}" "$m_none")"
	done
	echo
	echo "Earlier goals:"
	target "sbx --map=single --seccomp=no / bwrap" "$(ratio "$t_single" "$t_bw")" 1.0 "$(ratio "$m_single" "$m_bw")"
	target "sbx --map=single / bwrap with the same filter" "$(ratio "$t_singles" "$t_bws")" 1.0 "$(ratio "$m_singles" "$m_bws")"
	target "sbx --map=subids --seccomp=no / bwrap" "$(ratio "$t_sub" "$t_bw")" 1.5 "$(ratio "$m_sub" "$m_bw")"
	target "sbx --profile default / the same with --seccomp=no" "$(ratio "$t_def" "$t_sub")" 1.2 "$(ratio "$m_def" "$m_sub")"
	echo "- the seccomp filter: $(($(stat -c %s "$bpf") / 8)) BPF instructions (default profile, all ABIs)"
}

# ---- build: make -j2 of the sbx tree, and of a project nobody here wrote ----

# build_rows TITLE DIR MAKE-TARGETS: the variants, round after round, in a
# copy DIR of the project; prints the table and the goals.
build_rows() {
	local title=$1 proj=$2 mk="make -s -j2 $3" i r out t0 t1
	local -a names=() cmds=() vals=() na=()

	cd "$proj" || return 1
	bvariant() { names+=("$1"); cmds+=("$2"); }
	bvariant "native" "$mk"
	[ -w /dev/shm ] && bvariant "native, TMPDIR=/dev/shm (tmpfs)" "env TMPDIR=/dev/shm $mk"
	bvariant "sbx --profile build (cwd bound)" "$(printf '%q ' "$SBX") --profile build -- $mk"
	bvariant "sbx --profile build --seccomp=no" "$(printf '%q ' "$SBX") --profile build --seccomp=no -- $mk"
	bvariant "sbx --profile build --overlay . (kernel)" \
		"$(printf '%q ' "$SBX") --profile build --overlay $(printf '%q' "$proj") --overlay-driver=kernel -- $mk"
	bvariant "sbx --profile build --overlay . (fuse)" \
		"$(printf '%q ' "$SBX") --profile build --overlay $(printf '%q' "$proj") --overlay-driver=fuse -- $mk"
	bvariant "sbx trace --profile build (cwd bound)" \
		"$(printf '%q ' "$SBX") trace --output $(printf '%q' "$W/trace.ini") --profile build -- $mk"
	# Round after round, every variant once, `make clean` untimed before
	# each: load on a shared machine then spreads over all of them.  The
	# first round only checks and warms the caches.
	for ((r = -1; r < BUILD_RUNS; r++)); do
		[ $r = -1 ] && [ "$BUILD_WARM" = 0 ] && continue
		for i in "${!names[@]}"; do
			[ -n "${na[$i]:-}" ] && continue
			make -s clean >/dev/null 2>&1
			t0=$(date +%s%N)
			if ! out=$(eval "timeout 600 ${cmds[$i]}" 2>&1 >/dev/null </dev/null); then
				na[$i]=$(why_not "$out")
				continue
			fi
			t1=$(date +%s%N)
			[ $r -ge 0 ] && vals[$i]+="$(((t1 - t0) / 1000000)) "
		done
	done
	make -s clean >/dev/null 2>&1
	cd "$W" || return 1
	for i in "${!names[@]}"; do
		if [ -n "${na[$i]:-}" ]; then
			row_na "${names[$i]}" "${na[$i]}"
		else
			# shellcheck disable=SC2046
			row_add "${names[$i]}" $(echo "${vals[$i]}" | tr ' ' '\n' | awk 'NF {print $1 / 1000}' | stats)
		fi
	done
	local t_nat t_bind t_kov t_fov t_trace
	t_nat=$(row_med "native")
	t_trace=$(row_med "sbx trace --profile build (cwd bound)")
	t_bind=$(row_med "sbx --profile build (cwd bound)")
	t_kov=$(row_med "sbx --profile build --overlay . (kernel)")
	t_fov=$(row_med "sbx --profile build --overlay . (fuse)")
	table "$title, wall time ($BUILD_RUNS interleaved rounds)" s 2 "native"
	echo
	target "build with bind / native" "$(ratio "$t_bind" "$t_nat")" 1.03
	target "build with kernel overlay / native" "$(ratio "$t_kov" "$t_nat")" 1.05
	target "build under sbx trace / native" "$(ratio "$t_trace" "$t_nat")" 2.0
	target "build with fuse-overlayfs / native" "$(ratio "$t_fov" "$t_nat")" 1.05
}

section_build() {
	local proj=$W/proj ext=${BENCH_PROJECT:-} n
	mkdir -p "$proj"
	cp -r "$root/src" "$root/tools" "$root/profiles" "$root/Makefile" "$proj/" || return 1
	build_rows "Build: \`make -j2 sbx\` of the sbx tree ($(ls "$root"/src/*.c | wc -l) C files)" "$proj" sbx
	echo "- in the sandbox gcc's temporary files go to its private /tmp, a tmpfs, and an overlay's upper layer is in memory too; natively they go to $(findmnt -no FSTYPE -T "${TMPDIR:-/tmp}" 2>/dev/null || echo ?) (${TMPDIR:-/tmp}) and $(findmnt -no FSTYPE -T "$W" 2>/dev/null || echo ?) ($W)"

	# A project nobody here wrote: BENCH_PROJECT=DIR, an unpacked source
	# tree (zlib, Lua...) the user fetched; ./configure, when it has one,
	# runs once, untimed.
	if [ -z "$ext" ]; then
		row_na "native" "set BENCH_PROJECT=DIR to an unpacked C project (e.g. zlib or Lua) to measure it"
		table "Build: a project nobody here wrote" s 2 "native"
		return 0
	fi
	if [ ! -d "$ext" ]; then
		echo "bench: BENCH_PROJECT=$ext is not a directory" >&2
		return 1
	fi
	n=$(basename "$ext")
	cp -r "$ext" "$W/ext" || return 1
	# zlib ships a Makefile that only says to run ./configure first.
	if [ -x "$W/ext/configure" ]; then
		(cd "$W/ext" && ./configure >/dev/null 2>&1) || { echo "bench: ./configure failed in $ext" >&2; return 1; }
	fi
	build_rows "Build: \`make -j2\` of $n ($(find "$W/ext" -name '*.c' | wc -l) C files)" "$W/ext" ""
}

# ---- seccomp: getppid loop ----

# The variants run interleaved, run after run, so that a burst of load on a
# shared machine hits all of them alike.
L_NAME=() L_CMD=()
loop_add() { # NAME CMD...
	L_NAME+=("$1")
	shift
	L_CMD+=("$(printf '%q ' "$@")")
}

loop_run() { # rows of ns per call for every variant added
	local i r out
	local -a vals=() na=()
	for ((r = 0; r < LOOP_RUNS; r++)); do
		for i in "${!L_NAME[@]}"; do
			[ -n "${na[$i]:-}" ] && continue
			if ! out=$(eval "timeout 120 ${L_CMD[$i]}" 2>&1 </dev/null); then
				na[$i]=$(why_not "$out")
				continue
			fi
			vals[$i]+="$(printf '%s\n' "$out" | tail -n1) "
		done
	done
	for i in "${!L_NAME[@]}"; do
		if [ -n "${na[$i]:-}" ]; then
			row_na "${L_NAME[$i]}" "${na[$i]}"
		else
			# shellcheck disable=SC2046
			row_add "${L_NAME[$i]}" $(echo "${vals[$i]}" | stats)
		fi
	done
	L_NAME=() L_CMD=()
}

section_seccomp() {
	local l=$BB/syscall_loop t_bare t_filt t_allow i_bare i_filt
	"$BB/export-bpf" default >"$W/default.bpf" || return 1
	"$BB/export-bpf" strict >"$W/strict.bpf" || return 1
	# BPF_RET|BPF_K SECCOMP_RET_ALLOW: the least any filter costs.
	printf '\x06\x00\x00\x00\x00\x00\xff\x7f' >"$W/allow.bpf"

	loop_add "getppid, bare" "$l" "$LOOP_N"
	loop_add "getppid, 1-instruction allow-all filter" "$l" "$LOOP_N" "$W/allow.bpf"
	loop_add "getppid, default filter loaded in-process" "$l" "$LOOP_N" "$W/default.bpf"
	loop_add "getppid, strict (allow-list) filter in-process" "$l" "$LOOP_N" "$W/strict.bpf"
	# The helper is bound in: the checkout may be under /tmp, which the
	# sandbox replaces with its own.
	loop_add "getppid in sbx --seccomp=no" "$SBX" --ro-bind "$BB" --seccomp=no -- "$l" "$LOOP_N"
	loop_add "getppid in sbx --profile default" "$SBX" --ro-bind "$BB" -- "$l" "$LOOP_N"
	loop_add "ioctl(FIONREAD), bare" "$l" "$LOOP_N" - ioctl
	loop_add "ioctl(FIONREAD), default filter in-process" "$l" "$LOOP_N" "$W/default.bpf" ioctl
	loop_run
	t_bare=$(row_med "getppid, bare")
	t_allow=$(row_med "getppid, 1-instruction allow-all filter")
	t_filt=$(row_med "getppid, default filter loaded in-process")
	i_bare=$(row_med "ioctl(FIONREAD), bare")
	i_filt=$(row_med "ioctl(FIONREAD), default filter in-process")
	table "Seccomp: a syscall x $LOOP_N, time per call (runs interleaved)" ns 1 "getppid, bare"
	echo
	target "getppid with the default filter / bare" "$(ratio "$t_filt" "$t_bare")" 1.15
	target "ioctl with the default filter / bare" "$(ratio "$i_filt" "$i_bare")" 1.15
	echo "- the default filter / a 1-instruction filter: $(ratio "$t_filt" "$t_allow")x (what the filter's size costs, beyond having one at all)"
	echo "- filters: default $(($(stat -c %s "$W/default.bpf") / 8)), strict $(($(stat -c %s "$W/strict.bpf") / 8)) BPF instructions"
}

# ---- net: iperf3 over loopback ----

free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 20000))
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
	done
	echo 5201
}

# One iperf3 run against a fresh one-shot server on the host's 127.0.0.1:
# prints Mbit/s received, or fails with the client's message.
iperf_once() { # ADDR CMD-PREFIX...
	local addr=$1 port spid i out rc
	shift
	port=$(free_port)
	iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$W/iperf-s.log" 2>&1 &
	spid=$!
	STARTED+=("$spid")
	for ((i = 0; i < 50; i++)); do
		[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
		sleep 0.1
	done
	# stderr apart: sbx may warn (e.g. about the cwd), which is not JSON.
	out=$(cd / && timeout $((NET_SECS + 30)) "$@" iperf3 -c "$addr" -p "$port" -t "$NET_SECS" -J 2>"$W/iperf-c.err" </dev/null)
	rc=$?
	[ $rc = 0 ] || out+=$(cat "$W/iperf-c.err")
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	[ $rc = 0 ] || { echo "$out"; return 1; }
	printf '%s' "$out" | python3 -c '
import json, sys
print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6)'
}

net_rows() { # NAME ADDR CMD-PREFIX...
	local name=$1 i out vals=
	shift
	for ((i = 0; i < NET_RUNS; i++)); do
		if ! out=$(iperf_once "$@"); then
			row_na "$name" "$(why_not "$out")"
			return
		fi
		vals+="$out "
	done
	# shellcheck disable=SC2046
	row_add "$name" $(echo "$vals" | stats)
}

section_net() {
	local mode out
	if ! command -v iperf3 >/dev/null; then
		row_na "host loopback" "iperf3 not installed"
		table "Network" Mbit/s 0 "host loopback"
		return
	fi
	net_rows "host loopback" 127.0.0.1 env
	for mode in slirp4netns pasta; do
		if ! out=$("$SBX" --net=$mode --net-host-loopback -- true 2>&1 </dev/null); then
			row_na "sbx --net=$mode" "$(why_not "$out")"
			continue
		fi
		net_rows "sbx --net=$mode" 10.0.2.2 "$SBX" --net=$mode --net-host-loopback --
	done
	local t_host t_s t_p best pick
	t_host=$(row_med "host loopback") t_s=$(row_med "sbx --net=slirp4netns") t_p=$(row_med "sbx --net=pasta")
	table "Network: iperf3 TCP, ${NET_SECS}s, client in the sandbox, server on the host's 127.0.0.1" Mbit/s 0 "host loopback"
	echo
	best=$(python3 -c '
import sys
v = {k: float(x) for k, x in zip(("slirp4netns", "pasta"), sys.argv[1:]) if x}
print(max(v, key=v.get) if v else "")' "$t_s" "$t_p")
	local t_best=$t_s
	[ "$best" = pasta ] && t_best=$t_p
	target_ge "the faster engine (${best:-none}) / host loopback" "$(ratio "$t_best" "$t_host")" 0.5
	pick=$("$SBX" --net=auto --dry-run -- true 2>&1 | sed -n 's/^network auto: //p')
	echo "- --net=auto picks: ${pick:-(nothing: $("$SBX" --net=auto --dry-run -- true 2>&1 | tail -n1))}"
	case "$pick" in
	"$best "*) echo "- target: --net=auto picks the faster engine measured here ($best): met" ;;
	*) echo "- target: --net=auto picks the faster engine measured here (${best:-none}): MISSED" ;;
	esac
}

# ---- proxy: a large download and small requests through --net=proxy ----

# A loopback HTTP server that answers every GET with the file named in the
# path from $W (sendfile, so the server is not what is measured).
FAST_SERVER='
import http.server, os, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_GET(self):
        p = os.path.join(sys.argv[2], os.path.basename(self.path))
        with open(p, "rb") as f:
            n = os.fstat(f.fileno()).st_size
            self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
            self.wfile.flush(); self.connection.sendfile(f)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'
# Requests one after another in one process; prints ms per request.
LATENCY_CLIENT='
import sys, time, urllib.request
n, url = int(sys.argv[1]), sys.argv[2]
urllib.request.urlopen(url).read()
t = time.perf_counter()
for _ in range(n): urllib.request.urlopen(url).read()
print((time.perf_counter() - t) * 1000 / n)
'

section_proxy() {
	local port spid i out vals mode name url size_mb n_req
	command -v curl >/dev/null || { row_na "host loopback" "curl not installed"; table "Download through the proxy" MB/s 0 "host loopback"; return; }
	size_mb=$([ $quick = 1 ] && echo 64 || echo 512)
	n_req=$([ $quick = 1 ] && echo 50 || echo 300)
	head -c $((size_mb << 20)) /dev/zero >"$W/big"
	echo small >"$W/small"
	port=$(free_port)
	python3 -c "$FAST_SERVER" "$port" "$W" >"$W/fast.log" 2>&1 &
	spid=$!
	STARTED+=("$spid")
	for ((i = 0; i < 50; i++)); do
		[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
		sleep 0.1
	done
	local popt=(--allow-host "big.test:$port" --add-host big.test:127.0.0.1 --net-host-loopback)
	for mode in host proxy slirp4netns; do
		case $mode in
		host) name="host loopback" url="http://127.0.0.1:$port/big" pre=(env) ;;
		proxy) name="sbx --net=proxy" url="http://big.test:$port/big" pre=("$SBX" "${popt[@]}" --) ;;
		slirp4netns) name="sbx --net=slirp4netns" url="http://10.0.2.2:$port/big" pre=("$SBX" --net=slirp4netns --net-host-loopback --) ;;
		esac
		vals=
		for ((i = 0; i < NET_RUNS; i++)); do
			# curl's own figure: the download alone, not sbx's start.
			if ! out=$(cd / && timeout 120 "${pre[@]}" curl -sS -o /dev/null -w '%{speed_download}\n' "$url" 2>&1 </dev/null); then
				vals=; row_na "$name" "$(why_not "$out")"; break
			fi
			vals+="$(awk '{printf "%.1f", $1 / 1048576}' <<<"${out##*$'\n'}") "
		done
		# shellcheck disable=SC2046
		[ -n "$vals" ] && row_add "$name" $(echo "$vals" | stats)
	done
	table "Download: ${size_mb} MiB over HTTP from a server on the host's 127.0.0.1, curl in the sandbox (goal: proxy >= slirp4netns)" MB/s 0 "host loopback"
	for mode in host proxy; do
		case $mode in
		host) name="host loopback" pre=(env -u http_proxy) url="http://127.0.0.1:$port/small" ;;
		proxy) name="sbx --net=proxy" pre=("$SBX" "${popt[@]}" --) url="http://big.test:$port/small" ;;
		esac
		vals=
		for ((i = 0; i < NET_RUNS; i++)); do
			if ! out=$(cd / && timeout 120 "${pre[@]}" python3 -c "$LATENCY_CLIENT" "$n_req" "$url" 2>&1 </dev/null); then
				vals=; row_na "$name" "$(why_not "$out")"; break
			fi
			vals+="${out##*$'\n'} "
		done
		# shellcheck disable=SC2046
		[ -n "$vals" ] && row_add "$name" $(echo "$vals" | stats)
	done
	local added
	added=$(python3 -c 'import sys; a, b = sys.argv[1:]; print("%.3f" % (float(a) - float(b)) if a and b else "?")' \
		"$(row_med "sbx --net=proxy")" "$(row_med "host loopback")")
	table "Latency: $n_req sequential small GETs (python urllib, a new connection each), ms per request" ms 3 "host loopback"
	target "proxy's added latency per request, ms" "$added" 1
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	rm -f "$W/big"
}

# ---- memory: sbx's own processes while `sleep` runs ----

# The processes named COMM in the tree under PID (PID itself included), one
# line each: "role peak-RSS-KiB PSS-KiB private-dirty-KiB", the role being
# 0 for PID itself, 2 for a PID 1 of a namespace, 1 for any other.
mem_tree() { # PID COMM
	python3 - "$1" "$2" <<'EOF'
import os, sys
root, comm = int(sys.argv[1]), sys.argv[2]
kids = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        stat = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    ppid = int(stat[stat.rindex(")") + 2:].split()[1])
    kids.setdefault(ppid, []).append(int(p))
def field(path, key):
    for line in open(path):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0
todo = [(root, 0)]
while todo:
    p, d = todo.pop()
    todo += [(k, d + 1) for k in kids.get(p, [])]
    try:
        if open(f"/proc/{p}/comm").read().strip() != comm:
            continue
        hwm = field(f"/proc/{p}/status", "VmHWM")
        nspid = [l.split()[1:] for l in open(f"/proc/{p}/status") if l.startswith("NSpid:")]
        if d > 0:
            d = 2 if nspid and len(nspid[0]) > 1 and nspid[0][-1] == "1" else 1
        r = f"/proc/{p}/smaps_rollup"
        pss = field(r, "Pss")
        # Private_Clean is left out: it counts library pages that only
        # happen to have no other user at this moment.
        priv = field(r, "Private_Dirty")
    except OSError:
        continue
    print(d, hwm, pss, priv)
EOF
}

# Starts CMD... sleep, waits for the sleep, records COMM's processes.
mem_sample() { # COMM CMD...
	local comm=$1 pid i found=0
	shift
	"$@" sleep 60 </dev/null >/dev/null 2>"$W/mem.err" &
	pid=$!
	STARTED+=("$pid")
	for ((i = 0; i < 100; i++)); do
		if python3 - "$pid" <<'EOF'
import os, sys
root = int(sys.argv[1])
kids = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            s = open(f"/proc/{p}/stat").read()
            kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(int(p))
        except OSError:
            pass
todo = [root]
while todo:
    p = todo.pop()
    try:
        if open(f"/proc/{p}/comm").read().strip() == "sleep":
            sys.exit(0)
    except OSError:
        pass
    todo += kids.get(p, [])
sys.exit(1)
EOF
		then
			found=1
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	# Half a second in: the steady state while the command runs.
	[ $found = 1 ] && sleep 0.5 && mem_tree "$pid" "$comm" >"$W/mem.out"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $found = 1 ] || { why_not "$(cat "$W/mem.err")"; return 1; }
}

mem_rows() { # LABEL COMM CMD...: rows of per-process and total figures
	local label=$1 comm=$2 i out d hwm pss priv
	local -A acc=()
	shift 2
	for ((i = 0; i < MEM_RUNS; i++)); do
		if ! out=$(mem_sample "$comm" "$@"); then
			row_na "$label" "$out"
			return
		fi
		while read -r d hwm pss priv; do
			acc[rss$d]+="$hwm " acc[priv$d]+="$priv "
		done <"$W/mem.out"
		acc[rss]+="$(awk '{s += $2} END {print s}' "$W/mem.out") "
		acc[pss]+="$(awk '{s += $3} END {print s}' "$W/mem.out") "
		acc[priv]+="$(awk '{s += $4} END {print s}' "$W/mem.out") "
	done
	local -a names=("supervisor" "userns process" "init (pid 1)")
	[ "$comm" = bwrap ] && names=("bwrap (outside)" "bwrap (other)" "bwrap (pid 1)")
	for d in 0 1 2; do
		[ -n "${acc[rss$d]:-}" ] || continue
		# shellcheck disable=SC2046
		row_add "  $label: ${names[$d]}, peak RSS" $(echo "${acc[rss$d]}" | stats) -
		# shellcheck disable=SC2046
		row_add "  $label: ${names[$d]}, private dirty" $(echo "${acc[priv$d]}" | stats) -
	done
	# shellcheck disable=SC2046
	row_add "$label: total peak RSS" $(echo "${acc[rss]}" | stats) "bwrap: total peak RSS"
	# shellcheck disable=SC2046
	row_add "$label: total PSS" $(echo "${acc[pss]}" | stats) "bwrap: total PSS"
	# shellcheck disable=SC2046
	row_add "$label: total private dirty" $(echo "${acc[priv]}" | stats) "bwrap: total private dirty"
}

section_memory() {
	local bw=(bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp)
	local p rss pss
	if command -v bwrap >/dev/null; then
		mem_rows "bwrap" bwrap "${bw[@]}"
	else
		row_na "bwrap" "bwrap not installed"
	fi
	mem_rows "sbx" sbx "$SBX" --
	mem_rows "sbx --map=single" sbx "$SBX" --map=single --
	rss=$(row_med "sbx: total peak RSS")
	pss=$(row_med "sbx: total PSS")
	p=$(row_med "sbx: total private dirty")
	table "Memory: sbx's own processes while \`sleep\` runs, KiB (ratios: to bwrap's total of the same kind)" KiB 0 "bwrap: total private dirty"
	echo
	echo "- peak RSS (VmHWM) counts the shared libraries' resident pages again in every process; PSS divides shared pages among the processes using them; private dirty (Private_Dirty of smaps_rollup: their own heap, stack and relocated data) is what only they use and cannot be dropped."
	target "sbx's own processes, total peak RSS KiB" "$rss" 2048
	target "sbx's own processes, total PSS KiB" "$pss" 1024
	target "sbx's own processes, total private dirty KiB" "$p" 2048
}

# ---- machine ----

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

describe() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	echo "## sbx benchmark ($(date -u +%Y-%m-%d), $([ $quick = 1 ] && echo "--quick: few runs, not figures to quote" || echo "full run"))"
	echo
	echo "- kernel: $(uname -sr) $(uname -m)"
	echo "- CPU: ${cpu:-?}, $(nproc) online CPUs$(command -v systemd-detect-virt >/dev/null && printf ', virtualization: %s' "$(systemd-detect-virt 2>/dev/null)")"
	echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- distribution: $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
	echo "- speculative store bypass: $(cat /sys/devices/system/cpu/vulnerabilities/spec_store_bypass 2>/dev/null || echo ?)"
	echo "- tools: $("$SBX" --version), bwrap $(pkgver bubblewrap), util-linux $(pkgver util-linux)," \
		"hyperfine $(pkgver hyperfine), slirp4netns $(pkgver slirp4netns), passt $(pkgver passt)," \
		"fuse-overlayfs $(pkgver fuse-overlayfs), iperf3 $(pkgver iperf3), libseccomp $(pkgver libseccomp2), gcc $(pkgver gcc)"
	echo "- runs: startup $STARTUP_RUNS in $STARTUP_ROUNDS rounds (+$STARTUP_WARM warm-up each), build $BUILD_RUNS (+$BUILD_WARM), syscall loop $LOOP_RUNS, network $NET_RUNS x ${NET_SECS}s, memory $MEM_RUNS; user $(id -un)"
}

describe
rc=0
for s in "${sections[@]}"; do
	"section_$s" || rc=1
done
exit $rc
