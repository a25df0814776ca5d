# sbx - rootless Linux sandbox.  `make`, `make check`, `make install PREFIX=...`
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/sbx
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# AppArmor profile (src/apparmor/sbx.in): installed into APPARMORDIR when
# that directory exists there or under DESTDIR and AppArmor is 4.0 or later
# (older versions do not restrict user namespaces); APPARMOR=yes forces it,
# APPARMOR=no skips it.
APPARMORDIR ?= /etc/apparmor.d
APPARMOR ?= auto
APPARMOR_PARSER ?= $(shell command -v apparmor_parser || echo /usr/sbin/apparmor_parser)
VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
# Test helpers that run inside the sandbox are built without sanitizers:
# LeakSanitizer needs ptrace, which the seccomp profiles deny.
NOSAN = $(filter-out -fsanitize=% -fno-omit-frame-pointer,$(1))
PKGS := libcap libseccomp inih
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
# libsubid (Debian's libsubid-dev ships no .pc file) is not linked: sbx
# loads it with dlopen, only when subordinate IDs are used (src/idmap.c).
# dlopen is in libc since glibc 2.34; with an older one, make LIBDL=-ldl.
LIBDL ?=
# libcap, libseccomp and inih are linked in when their static archives are
# there (STATIC_DEPS=auto): each of sbx's processes (supervisor, user
# namespace, init, the command before its exec) then has three libraries
# fewer to map, copy at fork and unmap at exec, about 0.3-0.5 ms per start
# (bench/README.md).  STATIC_DEPS=no links them as shared libraries, so that
# a security update of one reaches sbx without a rebuild; yes insists.
STATIC_DEPS ?= auto
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
DEP_ARCHIVES := $(foreach l,$(patsubst -l%,%,$(filter -l%,$(PKG_LIBS))),$(shell $(CC) -print-file-name=lib$(l).a))
ifeq ($(STATIC_DEPS),auto)
STATIC_DEPS := $(if $(filter-out /%,$(DEP_ARCHIVES)),no,yes)
endif
ifeq ($(STATIC_DEPS),yes)
DEP_LIBS = -Wl,-Bstatic $(shell $(PKG_CONFIG) --static --libs $(PKGS)) -Wl,-Bdynamic $(LIBDL)
else
DEP_LIBS = $(PKG_LIBS) $(LIBDL)
endif
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)
ALL_CFLAGS = -std=gnu11 $(WARN) $(DEP_CFLAGS) -D_GNU_SOURCE \
	-DSBX_VERSION='"$(VERSION)"' -DSBX_PROFILE_DIR='"$(DATADIR)/profiles"' \
	$(CPPFLAGS) $(CFLAGS)

B := build
SHELL := /bin/bash
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=$(B)/%.o)
LIB_OBJS := $(filter-out $(B)/main.o,$(OBJS))
PREBUILT := $(B)/seccomp_prebuilt.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
HELPERS := $(B)/sbx-probe
SECURITY_SRCS := $(wildcard tests/security/*.c)
SECURITY_BINS := $(SECURITY_SRCS:tests/security/%.c=$(B)/security/%)

# The one package list, shared with .ci/run.
DEB_PACKAGES := $(strip $(shell sed -e 's/\#.*//' .ci/packages))

.PHONY: deps demo all check check-unit check-integration install install-apparmor uninstall clean fuzz bench lint
all: sbx $(HELPERS) $(B)/apparmor/sbx

# Linked in, a new archive (a library update) relinks sbx and regenerates
# the prebuilt table with the same library; so does switching STATIC_DEPS,
# through a stamp of the mode rewritten when make reads this file and the
# mode changed (not a rule: make -q stays true on an up-to-date tree).
$(shell mkdir -p $(B) && { echo '$(STATIC_DEPS)' | cmp -s - $(B)/static-deps || echo '$(STATIC_DEPS)' >$(B)/static-deps; })
LINKED_ARCHIVES := $(if $(filter yes,$(STATIC_DEPS)),$(filter /%,$(DEP_ARCHIVES))) $(B)/static-deps

sbx: $(OBJS) $(PREBUILT) $(LINKED_ARCHIVES)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PREBUILT) $(DEP_LIBS)

# The shipped profiles' seccomp programs, compiled now so that sbx need not
# run libseccomp when it starts (tools/seccomp_prebuild.c).  The generator
# runs on the build machine: a cross build gets no table, which only costs
# the compile at run time.
$(B)/seccomp-prebuild: tools/seccomp_prebuild.c $(LIB_OBJS) $(LINKED_ARCHIVES) | $(B)
	$(CC) $(ALL_CFLAGS) -iquote src $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(DEP_LIBS)

$(B)/seccomp_prebuilt.c: $(B)/seccomp-prebuild $(wildcard profiles/*.ini)
	SBX_PROFILE_PATH=$(CURDIR)/profiles $(B)/seccomp-prebuild $@.tmp $(sort $(wildcard profiles/*.ini)) && mv $@.tmp $@

$(PREBUILT): $(B)/seccomp_prebuilt.c src/seccomp_build.h
	$(CC) $(ALL_CFLAGS) -iquote src -c -o $@ $<

$(B)/%.o: src/%.c $(wildcard src/*.h) | $(B)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/sbx-probe: helpers/sbx-probe.c | $(B)
	$(CC) $(call NOSAN,$(ALL_CFLAGS) $(LDFLAGS)) -o $@ $< $(DEP_LIBS)

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS) $(PREBUILT) | $(B)
	@mkdir -p $(B)/tests
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -iquote src -DSBX_SOURCE_DIR='"$(CURDIR)"' $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(PREBUILT) $(DEP_LIBS) $(CHECK_LIBS)

$(B)/security/%: tests/security/%.c | $(B)
	@mkdir -p $(B)/security
	$(CC) $(call NOSAN,$(ALL_CFLAGS) $(LDFLAGS)) -o $@ $<

$(B):
	@mkdir -p $(B)

$(B)/apparmor/sbx: src/apparmor/sbx.in Makefile
	@mkdir -p $(B)/apparmor
	sed 's|@BINDIR@|$(BINDIR)|g' $< >$@

# libFuzzer targets (clang); `make fuzz FUZZ_SECONDS=60` runs each for that
# long on a scratch copy of its seed corpus and fails on a crash.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,$(B)/fuzz/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(filter-out src/main.c,$(SRCS)) $(wildcard src/*.h)
	@mkdir -p $(B)/fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE \
		-iquote src $(DEP_CFLAGS) -o $@ $< $(filter-out src/main.c,$(SRCS)) $(DEP_LIBS)

fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
		name=$${t##*/fuzz_}; corpus=$$(mktemp -d); \
		cp tests/fuzz/corpus/$$name/* $$corpus/; \
		echo "== fuzzing $$name for $(FUZZ_SECONDS)s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			$$corpus 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done'; \
		rc=$${PIPESTATUS[0]}; rm -rf $$corpus; [ $$rc = 0 ] || exit $$rc; \
	done

# Static checks on src/, both must be clean.  clang-tidy reads .clang-tidy
# (which checks and why the others are off).  cppcheck: -iquote does not
# exist there and it finds src/seccomp.h for <seccomp.h>, so it is told
# libseccomp's version macro; system headers are not given to it on purpose.
# Suppressed: readdirCalled, getpwuidCalled, strtokCalled (sbx is
# single-threaded) and resourceLeak in profile.c (fds closed by cleanup_fd,
# an __attribute__((cleanup)) cppcheck does not model; LeakSanitizer in
# `make SANITIZE=1 check` checks leaks at run time).
CLANG_TIDY ?= clang-tidy
CPPCHECK ?= cppcheck
CPPCHECK_FLAGS := --enable=warning,portability,performance --std=c11 --error-exitcode=1 -q --inline-suppr \
	--library=posix -D_GNU_SOURCE -D__linux__ -DSCMP_VER_MAJOR=2 --suppress=missingIncludeSystem \
	--suppress=readdirCalled --suppress=getpwuidCalled --suppress=strtokCalled --suppress=resourceLeak:src/profile.c
lint:
	@echo "== clang-tidy src/"; \
	$(CLANG_TIDY) --quiet $(SRCS) -- -std=gnu11 -D_GNU_SOURCE -iquote src $(DEP_CFLAGS) 2>&1 | \
		{ grep -v '^[0-9]* warnings\? generated\.$$' || true; }; exit $${PIPESTATUS[0]}
	@echo "== cppcheck src/"
	$(CPPCHECK) $(CPPCHECK_FLAGS) src/

# Debian/Ubuntu build, run and test dependencies (.ci/packages): as root
# directly, else through sudo when there is one.
deps:
	@if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "make deps: installing packages needs root, and there is no sudo: run \`su -c 'make deps'\` (or install: $(DEB_PACKAGES))" >&2; exit 1; fi; \
	set -x; $$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends $(DEB_PACKAGES)

demo: all
	./sbx -- sh -c 'id; cat /proc/self/uid_map; hostname; ps -e'


# `make bench`: what sbx costs next to bwrap and unshare (bench/README.md);
# runs as the calling user.  BENCH_ARGS=--quick for a smoke test.
BENCH_BINS := $(B)/bench/syscall_loop $(B)/bench/fdexec $(B)/bench/export-bpf
bench: sbx $(BENCH_BINS)
	bench/bench.sh $(BENCH_ARGS)

# -O2 and no sanitizers whatever CFLAGS say: these are timed.
$(B)/bench/syscall_loop: bench/syscall_loop.c
	@mkdir -p $(B)/bench
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -o $@ $<

$(B)/bench/fdexec: bench/fdexec.c
	@mkdir -p $(B)/bench
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -static -o $@ $<

$(B)/bench/export-bpf: bench/export_bpf.c $(LIB_OBJS)
	@mkdir -p $(B)/bench
	$(CC) $(ALL_CFLAGS) -iquote src $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(DEP_LIBS)

check: check-unit check-integration

check-unit: $(UNIT_BINS)
	@rc=0; for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes $$t || rc=1; done; exit $$rc

check-integration: all $(SECURITY_BINS)
	tests/integration/run.sh $(TESTS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/profiles
	install -m 0755 sbx $(DESTDIR)$(BINDIR)/sbx
	install -m 0755 $(B)/sbx-probe $(DESTDIR)$(BINDIR)/sbx-probe
	install -m 0644 profiles/*.ini $(DESTDIR)$(DATADIR)/profiles/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 src/man/sbx.1 $(DESTDIR)$(MANDIR)/man1/sbx.1
	install -m 0644 src/man/sbx-profile.5 $(DESTDIR)$(MANDIR)/man5/sbx-profile.5
	install -m 0644 src/completion/sbx.bash $(DESTDIR)$(BASHCOMPDIR)/sbx
	@$(MAKE) --no-print-directory install-apparmor

# Loaded at once when installing for this system as root on a kernel with
# AppArmor; sbx doctor tells whether it is needed.
install-apparmor:
	@if [ "$(APPARMOR)" = no ]; then exit 0; fi; \
	if [ "$(APPARMOR)" != yes ]; then \
		if [ ! -d "$(APPARMORDIR)" ] && [ ! -d "$(DESTDIR)$(APPARMORDIR)" ]; then \
			echo "no $(APPARMORDIR): the AppArmor profile is not installed (APPARMOR=yes forces it)"; exit 0; fi; \
		if [ -x "$(APPARMOR_PARSER)" ] && [ ! -e "$(APPARMORDIR)/abi/4.0" ]; then \
			echo "AppArmor before 4.0 does not restrict user namespaces: the profile is not installed (APPARMOR=yes forces it)"; exit 0; fi; \
	fi; \
	install -d $(DESTDIR)$(APPARMORDIR) && sed 's|@BINDIR@|$(BINDIR)|g' src/apparmor/sbx.in >$(DESTDIR)$(APPARMORDIR)/sbx && \
	chmod 0644 $(DESTDIR)$(APPARMORDIR)/sbx && \
	echo "installed $(DESTDIR)$(APPARMORDIR)/sbx"; \
	if [ -z "$(DESTDIR)" ] && [ -d /sys/kernel/security/apparmor ] && [ "$$(id -u)" = 0 ] && [ -x "$(APPARMOR_PARSER)" ]; then \
		$(APPARMOR_PARSER) -r $(APPARMORDIR)/sbx && echo "loaded the AppArmor profile sbx"; fi

uninstall:
	rm -f $(DESTDIR)$(APPARMORDIR)/sbx
	rm -f $(DESTDIR)$(BINDIR)/sbx $(DESTDIR)$(BINDIR)/sbx-probe
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(MANDIR)/man1/sbx.1 $(DESTDIR)$(MANDIR)/man5/sbx-profile.5 $(DESTDIR)$(BASHCOMPDIR)/sbx

clean:
	rm -rf $(B) sbx
