# --pty: a terminal of the sandbox's own, relayed by sbx.  script(1)
# (util-linux) gives sbx a terminal as a user's shell would.

pty_need() {
	command -v script >/dev/null 2>&1 || skip "script is not installed (Debian package util-linux)"
	command -v bash >/dev/null 2>&1 || skip "bash is not installed"
}

# in_terminal CMD: runs CMD (a shell command line) on a fresh terminal of
# 91x33; prints what the terminal showed; returns CMD's status.
in_terminal() {
	script -qec "stty cols 91 rows 33; $1" /dev/null </dev/null
}

test_pty_without_it_no_job_control() {
	pty_need
	local out
	# The documented behaviour: a session without a controlling terminal,
	# against TIOCSTI; shells say so.
	out=$(in_terminal "\"$SBX\" -- bash -ic 'echo flags=\$-; tty'" 2>&1)
	expect_match "bash says it" "$out" "no job control in this shell"
	expect_match "no m flag" "$(grep -a '^flags=' <<<"$out")" "^flags=[^m]*"$'\r'"?$"
	expect_match "not a tty" "$out" "not a tty"
}

test_pty_gives_job_control_and_a_tty() {
	pty_need
	local out
	out=$(in_terminal "\"$SBX\" --pty -- bash -ic 'echo flags=\$-; tty; stty size; sleep 0.1 & jobs; wait; ps -o pid=,pgid=,tpgid=,comm= -p \$\$'; echo rc=\$?" 2>&1)
	expect_no_match "no complaint" "$out" "no job control|can't access tty|cannot set terminal process group"
	expect_match "job control on" "$(grep -ao "flags=[a-zA-Z]*" <<<"$out")" "m"
	expect_match "its own terminal" "$out" $'\n/dev/pts/0\r'
	expect_match "window size passed on" "$out" $'\n33 91\r'
	expect_match "jobs" "$out" "\[1\]\+ +Running +sleep 0.1"
	# The shell leads the terminal's foreground group.
	expect_match "foreground" "$out" " 2 +2 +2 (bash|ps)"
	expect_match "status" "$out" "rc=0"
	# No fd inside leads to the caller's terminal: all three are the
	# sandbox's own, so TIOCSTI there cannot type into the caller's.
	out=$(in_terminal "\"$SBX\" --pty -- sh -c 'readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; ls /proc/self/fd | wc -l'" 2>&1)
	expect_eq "fds" "$(tr -d '\r' <<<"$out" | grep -a -v '^$' | sed 's/^.*\(\/dev\)/\1/')" $'/dev/pts/0\n/dev/pts/0\n/dev/pts/0\n4'
}

test_pty_ctrl_c_reaches_the_command_through_its_terminal() {
	pty_need
	local rc=0
	# The command traps SIGINT; ^C is typed once it is ready.
	{
		wait_for "grep -aq READY '$T/ts' 2>/dev/null" 200 || exit 1
		printf '\003'
		sleep 20
	} | script -qefc "\"$SBX\" --pty -- sh -c 'trap \"echo got-int; exit 7\" INT; echo READY; while :; do sleep 0.1; done'" "$T/ts" >/dev/null 2>&1 || rc=$?
	expect_match "the command got ^C as SIGINT" "$(cat -v "$T/ts")" "got-int"
	expect_eq "its status" "$rc" 7
}

test_pty_restores_the_terminal_and_passes_status() {
	pty_need
	local out
	out=$(in_terminal "stty -g >'$T/before'; \"$SBX\" --pty -- sh -c 'exit 3'; echo rc=\$?; stty -g >'$T/after'" 2>&1)
	expect_match "status" "$out" "rc=3"
	expect_eq "terminal modes after sbx" "$(cat "$T/after")" "$(cat "$T/before")"
	# Raw while it ran: the sandbox's terminal did the echo, not ours.
	out=$(in_terminal "\"$SBX\" --pty -- sh -c 'stty -a'" 2>&1)
	expect_match "the sandbox's terminal is cooked" "$out" " icanon "
	# The time limit's warning comes after the terminal is restored: a
	# whole line, \r\n at its end.
	out=$(in_terminal "\"$SBX\" --pty --time-limit 1 -- sleep 10; echo rc=\$?" 2>&1)
	expect_match "timeout" "$out" "rc=124"
	expect_match "its warning, a whole line" "$out" $'the sandbox was killed\r\n'
}

test_pty_with_a_pipe_for_stdin() {
	local out
	out=$(printf 'hello\n' | "$SBX" --pty -- cat 2>&1) || fail "$out"
	# The sandbox's terminal echoes the line, then cat prints it; EOF ends it.
	expect_eq "output" "$(tr -d '\r' <<<"$out")" $'hello\nhello'
	out=$("$SBX" --pty -- sh -c '[ -t 0 ] && [ -t 1 ] && echo tty' </dev/null 2>&1) || fail "$out"
	expect_eq "stdin and stdout are the terminal" "$(tr -d '\r' <<<"$out")" "tty"
	# A reader that goes away hangs up the sandbox's terminal (SIGHUP, as
	# a closed ssh session), and sbx ends with the terminal restored.
	out=$(in_terminal "stty -g >'$T/before'; (timeout --foreground 60 \"$SBX\" --pty -- yes; echo \$? >'$T/rc') | head -2 >/dev/null; stty -g >'$T/after'" 2>&1)
	# SIGHUP (129), or EIO on its next write first (yes exits 1).
	expect_match "yes was hung up" "$(cat "$T/rc")" "^(1|129)$"
	expect_eq "terminal modes after sbx" "$(cat "$T/after")" "$(cat "$T/before")"
	out=$("$SBX" --pty --dry-run -- true) || fail "$out"
	expect_match "dry run" "$out" "terminal: a pty of its own"
}
