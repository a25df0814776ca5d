#!/bin/bash
# 11: an untrusted build: it runs on a writable overlay of the project, its
# writes are kept aside, reviewed with sbx diff, and applied only if wanted.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v make >/dev/null || ! command -v cc >/dev/null; then
	die "this demo needs make and cc"
fi
proj=$work/project
mkdir -p "$proj"
cat >"$proj/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello from the build"); return 0; }
C
echo "an old file the build deletes" >"$proj/OLD"
# The untrusted part: besides building, it deletes a file of the tree and
# tries to leave something in your home directory.
cat >"$proj/Makefile" <<MK
hello: hello.c
	cc -o hello hello.c
	rm -f OLD
	echo "was here" >\$(HOME)/.sbx-example-11-$$ || true
MK
marker=$HOME/.sbx-example-11-$$
[ ! -e "$marker" ] || die "$marker already exists"

step "a small project: a Makefile that builds hello, deletes OLD and writes into \$HOME"
show ls "$proj"
show cat "$proj/Makefile"

step "what you would do without a sandbox: make, and hope.  With sbx:"
say "--profile build: no network, an empty private \$HOME, a clean environment;"
say "--changes: the current directory (the project) becomes a writable overlay whose"
say "writes go to an upper layer, kept in ../review (next to the project) for review"
cd "$proj"
show "$SBX" --profile build --changes ../review -- make
show ls "$proj"
if [ ! -e "$proj/OLD" ] || [ -e "$proj/hello" ]; then
	die "the build changed the real tree"
fi
[ ! -e "$marker" ] || { rm -f "$marker"; die "the build wrote $marker in your real home"; }
echo "the real tree is untouched, and $marker does not exist"

step "review what it did: sbx diff (A added, M modified, D deleted)"
show "$SBX" diff ../review

step "keep it: sbx apply copies exactly those changes onto the project"
show "$SBX" apply ../review
show ls "$proj"
show "$proj/hello"
