# bash completion for sbx(1).                                -*- shell-script -*-
#
# The options, and which of them take a value, are read from `sbx --help`
# the first time they are needed (and again when another sbx binary is
# completed), so a new option completes without editing this file.  Profile
# names come from `sbx profile list`, sandbox names from `sbx ps`.  Needs
# nothing from the bash-completion package.

# Reads `SBX --help` into _sbx_opts ("NAME ARG METAVAR" lines; ARG is 0 for a
# flag, 1 for a value, 2 for an optional =yes|no) and _sbx_subs.
_sbx_load()
{
	local sbx=$1 help
	[[ ${_sbx_loaded_for-} == "$sbx" && -n ${_sbx_opts-} ]] && return
	help=$("$sbx" --help 2>/dev/null)
	_sbx_opts=$(awk '
		/^ +(-[A-Za-z], +)?--[A-Za-z0-9]/ {
			sub(/^ +/, ""); sub(/^-[A-Za-z], +/, "")
			split($0, part, /  +/); spec = part[1]
			if ((i = index(spec, "[=")) > 0)
				print substr(spec, 1, i - 1), 2, "yes|no"
			else if ((i = index(spec, " ")) > 0)
				print substr(spec, 1, i - 1), 1, substr(spec, i + 1)
			else
				print spec, 0, "-"
		}' <<<"$help")
	_sbx_subs=$(awk '
		/^Usage:/ { u = 1; sub(/^Usage:/, "") }
		u && /^$/ { exit }
		u && $1 == "sbx" && $2 !~ /^[-[]/ { print $2 }' <<<"$help")
	[[ -n $_sbx_subs ]] || _sbx_subs="profile diff apply ps enter stop"
	_sbx_loaded_for=$sbx
}

# The ARG and METAVAR of option $1 ("1 DIR"), or nothing for an unknown one.
_sbx_opt_info()
{
	local name arg meta
	while read -r name arg meta; do
		[[ $name == "$1" ]] && { echo "$arg $meta"; return; }
	done <<<"$_sbx_opts"
}

# The words up to the cursor, with what bash split at '=', ':' or '@' (its
# COMP_WORDBREAKS) glued back, so "--net=sl" is one word: sets words, cword.
_sbx_words()
{
	local line=${COMP_LINE:0:COMP_POINT} pos=0 i w glued
	words=()
	if [[ -z ${COMP_LINE-} ]]; then
		words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
		cword=$COMP_CWORD
		return
	fi
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		glued=1
		while [[ ${line:pos:1} == [[:space:]] ]]; do
			pos=$((pos + 1))
			glued=0
		done
		if ((i > 0 && glued)); then
			words[${#words[@]} - 1]+=$w
		else
			words+=("$w")
		fi
		pos=$((pos + ${#w}))
	done
	cword=$((${#words[@]} - 1))
	# The current word only up to the cursor.
	if ((pos > ${#line})); then
		w=${words[cword]}
		words[cword]=${w:0:${#w} - (pos - ${#line})}
	fi
	((cword >= 0)) || { words=(""); cword=0; }
}

# COMPREPLY from a word list ($1) matching $2.
_sbx_words_matching()
{
	local IFS=$' \t\n'
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_sbx_files()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen "${1:--f}" -- "$2")
}

_sbx_profiles()
{
	"$sbx" profile list 2>/dev/null | awk '{ print $1 }'
}

# Names of your running sandboxes: the NAME column of `sbx ps`.
_sbx_sandboxes()
{
	"$sbx" ps 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_sbx_caps="chown dac_override dac_read_search fowner fsetid kill setgid setuid
setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock
ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot
sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write
audit_control setfcap mac_override mac_admin syslog wake_alarm block_suspend
audit_read perfmon bpf checkpoint_restore"
_sbx_groups="@aio @bpf @chown @clock @cpu-emulation @debug @default-deny @io-uring
@keyring @memlock @module @mount @namespaces @obsolete @pkey @privileged @raw-io
@reboot @resources @setuid @swap"
_sbx_families="AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET AF_VSOCK AF_KEY
AF_BLUETOOTH AF_ALG AF_APPLETALK AF_AX25 AF_X25 AF_CAN AF_RDS AF_TIPC AF_NFC
AF_IRDA AF_LLC AF_IEEE802154 AF_NETROM AF_ROSE AF_DECnet AF_ATMPVC AF_ATMSVC
AF_IPX AF_SNA AF_ECONET AF_PPPOX AF_WANPIPE AF_ISDN AF_PHONET AF_CAIF AF_IUCV
AF_RXRPC AF_MPLS AF_IB AF_BRIDGE AF_NETBEUI AF_SECURITY AF_KCM AF_QIPCRTR AF_SMC
AF_XDP AF_MCTP"
_sbx_rlimits="nofile nproc as cpu fsize core stack memlock data rss locks
sigpending msgqueue nice rtprio rttime"

# COMPREPLY: values of option $1 that start with $2.
_sbx_values()
{
	local opt=$1 v=$2 list='' comma='' head='' info arg meta
	case $opt in
	--profile)
		if [[ $v == */* || $v == .* || $v == ~* ]]; then
			_sbx_files -f "$v"
			return
		fi
		list="$(_sbx_profiles) none" ;;
	--map) list="auto subids single" ;;
	--net) list="none slirp4netns pasta auto proxy host" ;;
	--allow-host) list="@npm @pypi @crates @go @github @gitlab @debian @ubuntu @maven @rubygems" ;;
	--root) list="ro overlay rw" ;;
	--overlay-driver) list="auto kernel fuse" ;;
	--seccomp-default | --seccomp-deny-action) list="allow errno kill log" ;;
	--seccomp-errno) list="EPERM ENOSYS EACCES ENOENT EINVAL EIO ENOTSUP EOPNOTSUPP" ;;
	--limits) list="strict best-effort" ;;
	--display) list="auto wayland x11 host nested yes no" ;;
	--wait) list="first all" ;;
	--dbus) list="yes no private" ;;
	--landlock) list="off best-effort required" ;;
	--share) list="net ipc uts pid cgroup time" comma=1 ;;
	--unshare) list="mnt pid net ipc uts cgroup time" comma=1 ;;
	--cap-add | --cap-drop) list="all $_sbx_caps" comma=1 ;;
	--seccomp-allow | --seccomp-deny) list=$_sbx_groups comma=1 ;;
	--seccomp-deny-ioctl)
		list="TIOCSTI TIOCLINUX TIOCCONS TIOCSETD TIOCSSERIAL TIOCVHANGUP TIOCSCTTY" comma=1 ;;
	--seccomp-deny-socket) list=$_sbx_families comma=1 ;;
	--rlimit)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W "$_sbx_rlimits" -S = -- "$v")
		return ;;
	--keepenv | --denyenv | --unsetenv)
		mapfile -t COMPREPLY < <(compgen -e -- "$v")
		return ;;
	--setenv)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -e -S = -- "$v")
		return ;;
	--rootfs | --changes | --chdir | --overlay)
		_sbx_files -d "$v"
		return ;;
	*)
		# Anything else by what --help says it takes.
		info=$(_sbx_opt_info "$opt")
		arg=${info%% *} meta=${info#* }
		case $arg:$meta in
		2:*) list="yes no" ;;
		1:DIR*) _sbx_files -d "$v"; return ;;
		1:*PATH* | 1:*SRC* | 1:*DST* | 1:*TARGET* | 1:*FILE*)
			# SRC:DST: complete the part after the last ':'.
			[[ $v == *:* ]] && head=${v%:*}: v=${v##*:}
			_sbx_files -f "$v"
			[[ -n $head ]] && COMPREPLY=("${COMPREPLY[@]/#/$head}")
			return ;;
		esac ;;
	esac
	if [[ -n $comma && $v == *,* ]]; then
		head=${v%,*}, v=${v##*,}
	fi
	_sbx_words_matching "$list" "$v"
	[[ -n $head ]] && COMPREPLY=("${COMPREPLY[@]/#/$head}")
}

# Commands (at $1 == cword) or their arguments (files).
_sbx_command()
{
	if (($1 == cword)); then
		mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
	else
		_sbx_files -f "$cur"
	fi
}

_sbx_subcommand()
{
	local sub=$1 prev=${words[cword - 1]} i n pos=0 name=0
	case $sub in
	profile)
		if ((cword == 2)); then
			_sbx_words_matching "list show check" "$cur"
		elif [[ ${words[2]} == show ]] && ((cword == 3)); then
			if [[ $cur == */* || $cur == .* ]]; then
				_sbx_files -f "$cur"
			else
				_sbx_words_matching "$(_sbx_profiles)" "$cur"
			fi
		elif [[ ${words[2]} == check ]]; then
			_sbx_files -f "$cur"
		fi ;;
	diff | apply)
		if [[ $prev == --lower || $prev == --to ]]; then
			_sbx_files -d "$cur"
		elif [[ $prev == --allow ]]; then
			_sbx_files "$cur"
		elif [[ $cur == -* ]]; then
			if [[ $sub == diff ]]; then
				_sbx_words_matching "-z --json -p --patch --inside --lower --to --keep-modes -v --verbose --help" "$cur"
			else
				_sbx_words_matching "-n --dry-run --skip-unsafe -q --quiet --to --lower --allow --keep-modes -v --verbose --help" "$cur"
			fi
		else
			# The first word that is no option is the changes DIR.
			for ((i = 2; i < cword; i++)); do
				case ${words[i]} in
				--lower | --to | --allow) i=$((i + 1)) ;;
				-*) ;;
				*) pos=$((pos + 1)) ;;
				esac
			done
			if ((pos == 0)); then _sbx_files -d "$cur"; else _sbx_files -f "$cur"; fi
		fi ;;
	ps)
		_sbx_words_matching "--json --help" "$cur" ;;
	trace)
		if [[ $prev == --output || $prev == -o ]]; then
			_sbx_files -f "$cur"
		else
			# A run's command line plus --output.
			words=("${words[0]}" "${words[@]:2}")
			cword=$((cword - 1))
			_sbx_run
			[[ $cur == --o* ]] && COMPREPLY+=(--output)
		fi ;;
	enter)
		for ((i = 2; i < cword; i++)); do
			[[ ${words[i]} == -* ]] && continue
			name=$i
			break
		done
		if ((name == 0)); then
			if [[ $cur == -* ]]; then
				_sbx_words_matching "--help" "$cur"
			else
				_sbx_words_matching "$(_sbx_sandboxes)" "$cur"
			fi
			return
		fi
		n=$((name + 1))
		[[ ${words[n]-} == -- ]] && ((cword > n)) && n=$((n + 1))
		_sbx_command "$n" ;;
	stop)
		case $prev in
		--signal) _sbx_words_matching "TERM INT HUP QUIT USR1 USR2 KILL" "$cur"; return ;;
		--timeout) return ;;
		esac
		if [[ $cur == --signal=* ]]; then
			_sbx_words_matching "TERM INT HUP QUIT USR1 USR2 KILL" "${cur#--signal=}"
			COMPREPLY=("${COMPREPLY[@]/#/--signal=}")
		elif [[ $cur == -* ]]; then
			_sbx_words_matching "--signal --timeout --help" "$cur"
		else
			for ((i = 2; i < cword; i++)); do
				case ${words[i]} in
				--signal | --timeout) i=$((i + 1)) ;;
				-*) ;;
				*) return ;; # the name is there already
				esac
			done
			_sbx_words_matching "$(_sbx_sandboxes)" "$cur"
		fi ;;
	esac
}

# Options and command of a run (sbx itself, sbx trace), from words[1].
_sbx_run()
{
	local i w info
	# Walk the options before the cursor: a value ends at the cursor,
	# or the first other word (or "--") starts the command.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $w == -- ]]; then
			_sbx_command $((i + 1))
			break
		elif [[ $w == --*=* || $w != -* ]]; then
			[[ $w == -* ]] && continue
			_sbx_command "$i"
			break
		fi
		info=$(_sbx_opt_info "$w")
		if [[ ${info%% *} == 1 ]]; then
			if ((i + 1 == cword)); then
				_sbx_values "$w" "$cur"
				break
			fi
			i=$((i + 1))
		fi
	done
	if ((i == cword)); then
		if [[ $cur == --*=* ]]; then
			_sbx_values "${cur%%=*}" "${cur#*=}"
			COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		elif [[ $cur == -* ]]; then
			_sbx_words_matching "$(awk '{ print $1 }' <<<"$_sbx_opts") --" "$cur"
		elif ((cword == 1)); then
			_sbx_words_matching "$_sbx_subs" "$cur"
			((${#COMPREPLY[@]})) || _sbx_command 1
		else
			_sbx_command "$cword"
		fi
	fi
}

_sbx()
{
	local sbx=${COMP_WORDS[0]} words cword cur i w info wb='' pre='' c
	[[ $sbx == \~/* ]] && sbx=$HOME/${sbx#\~/}
	COMPREPLY=()
	_sbx_load "$sbx"
	_sbx_words
	cur=${words[cword]}

	if ((cword > 1)) && [[ " ${_sbx_subs//$'\n'/ } " == *" ${words[1]} "* ]]; then
		_sbx_subcommand "${words[1]}"
	else
		_sbx_run
	fi

	# Bash replaces only the text after the last '=', ':' or '@' that is
	# in COMP_WORDBREAKS: drop that part from the replies.
	for c in = : @; do
		[[ $COMP_WORDBREAKS == *"$c"* ]] && wb+=$c
	done
	[[ -n $wb ]] && pre=${cur%"${cur##*["$wb"]}"}
	[[ -n $pre ]] && COMPREPLY=("${COMPREPLY[@]#"$pre"}")
	return 0
}

complete -F _sbx sbx
