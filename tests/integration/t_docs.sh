# Documentation: the man pages against `sbx --help` and src/profile_keys.c (so
# they cannot drift), their rendering, `make install`, and bash completion.
#
# The pages keep one .TP block per option and per profile key, whose tag
# line (the line after .TP) names it; the checks below read those tags.

SBX1=$SBX_ROOT/src/man/sbx.1
SBX5=$SBX_ROOT/src/man/sbx-profile.5
COMPLETION=$SBX_ROOT/src/completion/sbx.bash

# roff -> text, for the few escapes the pages use.
docs_plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\(dq/"/g'
}

# Long options of `sbx --help`, one a line.
docs_help_options() {
	"$SBX" --help | awk '/^ +(-[A-Za-z], +)?--[a-z0-9]/ {
		sub(/^ +/, ""); sub(/^-[A-Za-z], +/, ""); split($0, w, /[ [=]/); print w[1] }'
}

# Options named by the tags of .TP blocks in a section (.SH NAME) of a page.
docs_tagged_options() { # PAGE SECTION
	awk -v want="$2" '
		/^\.SH / { sec = $0; sub(/^\.SH +"?/, "", sec); sub(/"$/, "", sec) }
		(prev == ".TP" || prev == ".TQ") && sec == want { print }
		{ prev = $0 }' "$1" | docs_plain | grep -oE -- '--?[a-z0-9][a-z0-9-]*' | sort -u
}

# Options of --help without a .TP block in OPTIONS of PAGE (one a line).
docs_missing_options() { # PAGE
	comm -23 <(docs_help_options | sort -u) <(docs_tagged_options "$1" OPTIONS)
}

# "section key" for every key src/profile_keys.c accepts: each `static const struct
# pkey X_keys[]` table's quoted names, under the [section] that the sections[]
# table gives it.
docs_source_keys() {
	awk '
		/^static const struct pkey [a-z_]+\[\] *= *\{/ {
			t = $0; sub(/^static const struct pkey /, "", t); sub(/\[.*/, "", t); intab = t; next }
		intab != "" && /^\};/ { intab = ""; next }
		intab != "" {
			s = $0
			while (match(s, /(\{ *|[A-Z_]+\()"[^"]+"/)) {
				m = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
				sub(/^[^"]*"/, "", m); sub(/"$/, "", m)
				keys[intab] = keys[intab] " " m
			}
			next
		}
		/^static const struct psection sections\[\] *= *\{/ { insec = 1; next }
		insec && /^\};/ { insec = 0; next }
		insec {
			s = $0
			while (match(s, /\{ *"[^"]+", *[a-z_]+ *\}/)) {
				m = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
				gsub(/[{}",]/, " ", m); split(m, p, " ")
				order[++n] = p[1]; table[p[1]] = p[2]
			}
		}
		END {
			for (i = 1; i <= n; i++) {
				if (keys[table[order[i]]] == "")
					print order[i], "(NO-KEYS-FOUND)"
				c = split(keys[table[order[i]]], k, " ")
				for (j = 1; j <= c; j++)
					print order[i], k[j]
			}
		}' "$SBX_ROOT/src/profile_keys.c"
}

# "section key" for every .TP tag under a .SS "[section]" of PAGE.
docs_page_keys() { # PAGE
	awk '
		/^\.S[HS] / { sec = ""; if (match($0, /\[[a-z0-9-]+\]/)) sec = substr($0, RSTART + 1, RLENGTH - 2); prev = $0; next }
		(prev == ".TP" || prev == ".TQ") && sec != "" {
			l = $0; gsub(/\\f[BIRP]/, "", l); gsub(/\\-/, "-", l); split(l, w, /[ =]/); print sec, w[1] }
		{ prev = $0 }' "$1"
}

docs_missing_keys() { # PAGE
	comm -23 <(docs_source_keys | sort -u) <(docs_page_keys "$1" | sort -u)
}

test_docs_sbx1_has_every_option() {
	local help n missing stale
	help=$(docs_help_options)
	n=$(wc -l <<<"$help")
	[ "$n" -ge 50 ] || fail "only $n long options parsed from sbx --help: $help"
	for o in --help --version --dry-run --profile --bind --seccomp-deny-ioctl --landlock-rw; do
		grep -qx -- "$o" <<<"$help" || fail "sbx --help parse misses $o"
	done
	missing=$(docs_missing_options "$SBX1")
	[ -z "$missing" ] || fail "options of sbx --help with no .TP block in OPTIONS of src/man/sbx.1: ${missing//$'\n'/ }"
	stale=$(comm -13 <(sort -u <<<"$help") <(docs_tagged_options "$SBX1" OPTIONS | grep -- '^--'))
	[ -z "$stale" ] || fail "src/man/sbx.1 documents options sbx --help does not have: ${stale//$'\n'/ }"
	# The check must be able to fail: drop one option's block from a copy.
	awk '/^\.TP$/ { tp = 1; skip = 0; next } tp && /^\\fB\\-\\-dry\\-run\\fR$/ { skip = 1 }
		tp { if (!skip) print ".TP"; tp = 0 } /^\.(TP|SS|SH)/ { skip = 0 } !skip' "$SBX1" >"$T/sbx.1"
	[ "$(docs_missing_options "$T/sbx.1")" = --dry-run ] ||
		fail "removing the --dry-run block is not noticed: '$(docs_missing_options "$T/sbx.1")'"
	echo "checked $n options"
}

test_docs_sbx1_has_every_subcommand() {
	local subs s usage o plain
	plain=$(grep '^\.SS' "$SBX1" | docs_plain)
	subs=$("$SBX" --help | awk '/^Usage:/ { u = 1; sub(/^Usage:/, "") } u && /^$/ { exit }
		u && $1 == "sbx" && $2 !~ /^[-[]/ { print $2 }')
	[ "${subs//$'\n'/ }" = "profile diff apply ps enter stop doctor trace" ] || fail "subcommands parsed from --help: $subs"
	for s in $("$SBX" profile --help | sed 's/^usage: sbx profile //' | tr '|' '\n' | awk '$1 ~ /^[a-z]/ { print $1 }'); do
		grep -q "^\.SS \"sbx profile $s\b" <<<"$plain" || fail "src/man/sbx.1 has no .SS for sbx profile $s"
	done
	grep -q '^\.SS "sbx profile check' <<<"$plain" || fail "profile subcommands not parsed from sbx profile --help"
	for s in $subs; do
		[ "$s" = profile ] && continue
		grep -q "^\.SS \"sbx $s\b" <<<"$plain" || fail "src/man/sbx.1 has no .SS for sbx $s"
		usage=$("$SBX" "$s" --help | grep -E "^(usage: |       )sbx $s( |$)")
		[ -n "$usage" ] || fail "no usage line from sbx $s --help"
		for o in $(grep -oE -- '--?[a-z][a-z-]*' <<<"$usage" | sort -u); do
			docs_tagged_options "$SBX1" SUBCOMMANDS | grep -qx -- "$o" ||
				fail "sbx $s $o (from sbx $s --help) has no .TP block in SUBCOMMANDS of src/man/sbx.1"
		done
	done
	grep -q '^\.SH "EXIT STATUS"\|^\.SH EXIT STATUS' "$SBX1" || fail "sbx.1 has no EXIT STATUS"
	for s in ENVIRONMENT FILES EXAMPLES SECURITY "SEE ALSO"; do
		grep -q "^\.SH \"\?$s\"\?$" "$SBX1" || fail "sbx.1 has no $s section"
	done
	# Every variable the code reads is in ENVIRONMENT.
	for s in $(grep -ohE 'getenv\("[A-Z_]+"\)' "$SBX_ROOT"/src/*.c | sort -u | sed 's/getenv("\(.*\)")/\1/'); do
		awk '/^\.SH ENVIRONMENT/ { e = 1; next } /^\.SH/ { e = 0 } e' "$SBX1" | grep -q "^\.B $s$" ||
			fail "src/man/sbx.1 ENVIRONMENT does not describe $s (read with getenv in src/)"
	done
	expect_eq "version in .TH" "$(awk '/^\.TH/ { print $6 }' "$SBX1" | tr -d '"')" "$("$SBX" --version | awk '{ print $2 }')"
}

test_docs_profile5_has_every_key() {
	local keys n missing stale v vars p
	keys=$(docs_source_keys)
	n=$(wc -l <<<"$keys")
	[ "$n" -ge 60 ] || fail "only $n keys parsed from src/profile_keys.c: $keys"
	grep -q 'NO-KEYS-FOUND' <<<"$keys" && fail "a section of src/profile_keys.c with no keys parsed: $(grep NO-KEYS <<<"$keys")"
	for v in "profile include" "namespaces unshare" "filesystem ro-bind-try" "seccomp deny-ioctl" \
		"limits nofile" "limits mode" "network host-loopback" "landlock rw"; do
		grep -qx "$v" <<<"$keys" || fail "the src/profile_keys.c parse misses [${v% *}] ${v#* }"
	done
	missing=$(docs_missing_keys "$SBX5")
	[ -z "$missing" ] || fail "keys of src/profile_keys.c with no .TP block in src/man/sbx-profile.5: $(tr '\n' ';' <<<"$missing")"
	stale=$(comm -13 <(sort -u <<<"$keys") <(docs_page_keys "$SBX5" | sort -u))
	[ -z "$stale" ] || fail "src/man/sbx-profile.5 documents keys src/profile_keys.c does not have: $(tr '\n' ';' <<<"$stale")"
	# The check must be able to fail: drop [seccomp] deny-ioctl from a copy.
	awk '/^\.TP$/ { tp = 1; skip = 0; next } tp && /^\\fBdeny\\-ioctl\\fR/ { skip = 1 }
		tp { if (!skip) print ".TP"; tp = 0 } /^\.(TP|SS|SH)/ { skip = 0 } !skip' "$SBX5" >"$T/sbx-profile.5"
	[ "$(docs_missing_keys "$T/sbx-profile.5")" = "seccomp deny-ioctl" ] ||
		fail "removing deny-ioctl is not noticed: '$(docs_missing_keys "$T/sbx-profile.5")'"
	# The variables ${NAME} that profiles may use.
	vars=$(grep -m1 'known\[\] = {' "$SBX_ROOT/src/profile.c" | grep -oE '"[A-Z_]+"' | tr -d '"')
	if ! grep -qx HOME <<<"$vars" || ! grep -qx PROFILE_DIR <<<"$vars"; then
		fail "variables parsed from src/profile.c: $vars"
	fi
	for v in $vars; do
		grep -qF "\${$v}" "$SBX5" || fail "src/man/sbx-profile.5 does not describe \${$v}"
	done
	# The shipped profiles.
	for p in "$SBX_ROOT"/profiles/*.ini; do
		p=$(basename "$p" .ini)
		awk '/^\.SH SHIPPED/ { s = 1; next } /^\.SH/ { s = 0 } s && prev == ".TP" { print } { prev = $0 }' "$SBX5" |
			grep -qx "\.B $p" || fail "src/man/sbx-profile.5 does not describe the shipped profile $p"
	done
	echo "checked $n keys"
}

test_docs_pages_render() {
	local f out
	command -v groff >/dev/null || skip "groff is not installed (Debian package groff-base)"
	for f in "$SBX1" "$SBX5"; do
		out=$(groff -man -Tutf8 -ww -z "$f" 2>&1) || fail "groff failed on $f: $out"
		[ -z "$out" ] || fail "groff warns about $f: $out"
		out=$(groff -man -Tutf8 -P-cbu "$f" 2>/dev/null)
		expect_match "rendered $(basename "$f")" "$out" 'SEE ALSO'
		if command -v mandoc >/dev/null; then
			out=$(mandoc -Tlint -W warning "$f" 2>&1) || fail "mandoc -Tlint on $f: $out"
		fi
		if command -v man >/dev/null; then
			out=$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null) || fail "man -l $f failed: $out"
			[ -z "$out" ] || fail "man -l $f warns: $out"
		fi
	done
	expect_match "sbx.1 rendered" "$(groff -man -Tutf8 -P-cbu "$SBX1" 2>/dev/null)" '--seccomp-deny-ioctl'
}

test_docs_make_install() {
	local root=$T/root f
	command -v make >/dev/null || skip "make is not installed"
	make -s -C "$SBX_ROOT" -q all 2>/dev/null || skip "the build in $SBX_ROOT is not up to date (run make first)"
	make -s -C "$SBX_ROOT" install DESTDIR="$root" PREFIX=/usr >"$T/install.log" 2>&1 ||
		fail "make install DESTDIR=$root PREFIX=/usr failed: $(cat "$T/install.log")"
	for f in "share/man/man1/sbx.1:$SBX1" "share/man/man5/sbx-profile.5:$SBX5" \
		"share/bash-completion/completions/sbx:$COMPLETION"; do
		cmp -s "$root/usr/${f%%:*}" "${f#*:}" || fail "make install did not place /usr/${f%%:*}"
	done
	expect_eq "man page mode" "$(stat -c %a "$root/usr/share/man/man1/sbx.1")" 644
	bash --norc -c "source '$root/usr/share/bash-completion/completions/sbx' && complete -p sbx" >"$T/c.out" 2>&1 ||
		fail "the installed completion does not register: $(cat "$T/c.out")"
	make -s -C "$SBX_ROOT" uninstall DESTDIR="$root" PREFIX=/usr >"$T/install.log" 2>&1 ||
		fail "make uninstall failed: $(cat "$T/install.log")"
	f=$(find "$root" -type f)
	[ -z "$f" ] || fail "make uninstall left: $f"
}

# Runs the completion for a command line (the last word is completed; a
# trailing blank starts an empty word) and prints COMPREPLY, one a line.
# Words split at '=' like bash does when the line is given as "a|=|b".
docs_complete() { # LINE [WORD...]
	bash --norc -c '
		source "$1"; line=$2; shift 2
		if [ $# -gt 0 ]; then COMP_WORDS=("$@"); else
			read -ra COMP_WORDS <<<"$line"; [[ $line == *" " ]] && COMP_WORDS+=("")
		fi
		COMP_LINE=$line COMP_POINT=${#line} COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_sbx; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@"
}

docs_completion_setup() {
	mkdir -p "$T/bin"
	ln -s "$SBX" "$T/bin/sbx"
	export PATH=$T/bin:$PATH
}

test_docs_completion() {
	local out
	docs_completion_setup
	out=$(docs_complete "sbx --prof")
	expect_eq "sbx --prof" "$out" --profile
	out=$(docs_complete "sbx --profile ")
	expect_match "sbx --profile" "${out//$'\n'/ }" '(^| )default( |$)'
	expect_match "sbx --profile" "${out//$'\n'/ }" '(^| )build( |$)'
	out=$(docs_complete "sbx --net ")
	expect_match "sbx --net" "${out//$'\n'/ }" '(^| )slirp4netns( |$)'
	out=$(docs_complete "sbx --net=sl" sbx --net = sl)
	expect_eq "sbx --net=sl" "$out" slirp4netns
	out=$(docs_complete "sbx en")
	expect_eq "sbx en" "$out" enter
	out=$(docs_complete "sbx --cap-add ")
	expect_match "sbx --cap-add" "${out//$'\n'/ }" '(^| )net_raw( |$)'
	out=$(docs_complete "sbx --cap-add net_admin,sys_ad")
	expect_eq "sbx --cap-add net_admin,sys_ad" "$out" net_admin,sys_admin
	out=$(docs_complete "sbx profile show de")
	expect_match "sbx profile show de" "${out//$'\n'/ }" '^default demo desktop$'
	out=$(docs_complete "sbx --profile build -- tru")
	expect_match "command after --" "${out//$'\n'/ }" '(^| )true( |$)'
	out=$(docs_complete "sbx stop --si")
	expect_eq "sbx stop --si" "$out" --signal
	out=$(docs_complete "sbx --seccomp-deny @def" sbx --seccomp-deny @ def)
	expect_eq "sbx --seccomp-deny @def" "$out" default-deny
	# Every option of --help completes (the list is read from it).
	out=$(docs_complete "sbx --" | grep -v '^--$' | sort)
	expect_eq "options completed after --" "$out" "$(docs_help_options | sort)"
}

test_docs_completion_sandbox_names() {
	local name=docs-$$ pid out
	docs_completion_setup
	mkdir -m 700 "$T/rt"
	export XDG_RUNTIME_DIR=$T/rt
	"$SBX" --name "$name" -- sleep 30 & pid=$!; track $pid
	wait_for "\"$SBX\" ps | grep -q '^$name '" 100 || fail "sandbox $name never showed up in sbx ps: $("$SBX" ps 2>&1)"
	out=$(docs_complete "sbx enter ")
	expect_match "sbx enter" "${out//$'\n'/ }" "(^| )$name( |$)"
	out=$(docs_complete "sbx stop docs-")
	expect_eq "sbx stop docs-" "$out" "$name"
	"$SBX" stop "$name" || fail "sbx stop $name failed"
	wait $pid
	out=$(docs_complete "sbx enter ")
	expect_no_match "sbx enter after stop" "${out//$'\n'/ }" "$name"
}
