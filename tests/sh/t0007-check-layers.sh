#!/bin/bash
# t0007-check-layers: tests/tools/check-layers itself. A small tree with
# the snapfs folders is compiled into objects named as automake names them;
# the checker passes it clean, and reports each kind of offence planted in
# a copy of it, naming the files and the symbol or the include.
. "$(dirname "$0")/lib.sh"

CHECK=$top_srcdir/tests/tools/check-layers
CC=${CC:-cc}
for p in python3 "${NM:-nm}" "$CC"; do
	require_prog "$p" || plan_skip "$p not found"
done
[ -x "$CHECK" ] || plan_skip "$CHECK not executable"

plan 42

# src FILE TEXT: write a file of the tree under construction, $T.
src() {
	mkdir -p "$(dirname "$T/$1")"
	printf '%s\n' "$2" >"$T/$1"
}

# base_tree DIR: a clean tree, one or two files per layer, each calling
# the layer below through its public header.
base_tree() {
	T=$1
	rm -rf "$T"
	src src/base/banned.h '/* banned */'
	src src/base/log.h 'int base_log(int x);'
	src src/base/base.h '#include "log.h"'
	src src/base/log.c '#include "log.h"
int base_log(int x) { return x; }
#include "banned.h"'
	src src/store/store_int.h 'int store_hidden(int x);'
	src src/store/store.h '#include "base/base.h"
int store_get(int x);
extern const int store_file_ops;'
	src src/store/store.c '#include "store.h"
#include "store_int.h"
int store_get(int x) { return store_hidden(x) + store_file_ops; }
#include "base/banned.h"'
	src src/store/store_file.c '#include "store.h"
#include "store_int.h"
const int store_file_ops = 1;
int store_hidden(int x) { return base_log(x); }
#include "base/banned.h"'
	src src/repo/repo.h 'int repo_open(int x);'
	src src/repo/repo.c '#include "repo.h"
#include "store/store.h"
int repo_open(int x) { return store_get(x); }
#include "base/banned.h"'
	src src/cluster/cluster.h 'int cluster_open(int x);'
	src src/cluster/cluster.c '#include "cluster.h"
#include "store/store.h"
int cluster_open(int x) { return store_get(x); }
#include "base/banned.h"'
	src src/jobs/jobs.h 'int job_run(int x);'
	src src/jobs/jobs_int.h 'int job_kind_step(int x);'
	src src/jobs/job.c '#include "jobs.h"
#include "jobs_int.h"
#include "repo/repo.h"
int job_run(int x) { return job_kind_step(x) + repo_open(x); }
#include "base/banned.h"'
	src src/jobs/job_kind.c '#include "jobs_int.h"
#include "cluster/cluster.h"
int job_kind_step(int x) { return cluster_open(x); }
#include "base/banned.h"'
	src src/fs/fs.h 'int fs_lookup(int x);'
	src src/fs/fs.c '#include "fs.h"
#include "jobs/jobs.h"
int fs_lookup(int x) { return job_run(x); }
#include "base/banned.h"'
	src fuse/main.c '#include "fs/fs.h"
#include "base/base.h"
int main(void) { return fs_lookup(0) + base_log(0); }
#include "base/banned.h"'
}

# build: compile every .c of $T into $T/build as automake names the objects.
build() {
	local f o
	rm -rf "$T/build"
	for f in $(cd "$T" && ls src/*/*.c fuse/*.c); do
		case $f in
		fuse/*) o=$T/build/${f%/*}/snapfs-$(basename "${f%.c}").o ;;
		*) o=$T/build/${f%/*}/libsnapfs_a-$(basename "${f%.c}").o ;;
		esac
		mkdir -p "${o%/*}"
		"$CC" -c -I"$T/src" -o "$o" "$T/$f" || return 1
	done
}

# run: build $T and check it; output in $TEST_TMP/out, exit status in $rc.
run() {
	build >"$TEST_TMP/out" 2>&1 || {
		rc=99
		return
	}
	"$CHECK" --srcdir "$T" --builddir "$T/build" >"$TEST_TMP/out" 2>&1
	rc=$?
}

# reports TITLE TEXT...: the last check exited 1 with a "not ok" line that
# contains every TEXT.
reports() {
	local title=$1 line
	shift
	line=$(grep '^not ok ' "$TEST_TMP/out")
	for t in "$@"; do
		line=$(grep -F -- "$t" <<<"$line")
	done
	if [ "$rc" -eq 1 ] && [ -n "$line" ]; then
		pass "$title"
	else
		fail "$title"
		diag "exit $rc, want 1 and a not ok line with: $*"
		diag "$(head -c 3000 "$TEST_TMP/out")"
	fi
}
offences() { grep -c '^not ok ' "$TEST_TMP/out"; }

# ---------------------------------------------------------------- clean

base_tree "$TEST_TMP/clean"
run
is "a clean tree: exit 0" "$rc" 0
is "... no not ok line" "$(offences)" 0
is "... the plan is last" "$(tail -1 "$TEST_TMP/out")" "1..$(grep -c '^ok ' "$TEST_TMP/out")"

# ---------------------------------------------------------------- layers

base_tree "$TEST_TMP/upcall"
src src/store/store_file.c '#include "store.h"
#include "store_int.h"
int fs_lookup(int x);
const int store_file_ops = 1;
int store_hidden(int x) { return fs_lookup(x); }
#include "base/banned.h"'
run
reports "a call up the layers" "layers:" "src/store/store_file.c uses fs_lookup from src/fs/fs.c" \
	"store is below fs"
reports "... the file circle it closes" "circles: src/cluster/cluster.c -> src/fs/fs.c ->" "form a circle"
reports "... and the folder circle" "circles: folders use each other" \
	"store -> fs: src/store/store_file.c uses fs_lookup"

base_tree "$TEST_TMP/upinclude"
src src/base/log.c '#include "log.h"
#include "jobs/jobs.h"
int base_log(int x) { return x; }
#include "banned.h"'
run
reports "an include up the layers" 'src/base/log.c includes "jobs/jobs.h"' "base is below jobs"
reports "... and the folder circle" "circles: folders use each other" \
	'base -> jobs: src/base/log.c includes "jobs/jobs.h"'
is "... no more" "$(offences)" 2

base_tree "$TEST_TMP/siblings"
src src/repo/repo.c '#include "repo.h"
#include "cluster/cluster.h"
int repo_open(int x) { return cluster_open(x); }
#include "base/banned.h"'
run
reports "repo includes cluster" 'src/repo/repo.c includes "cluster/cluster.h"' \
	"repo and cluster are siblings"
reports "repo calls cluster" "src/repo/repo.c uses cluster_open from src/cluster/cluster.c" \
	"siblings"

base_tree "$TEST_TMP/cluster-repo"
src src/cluster/cluster.c '#include "cluster.h"
#include "repo/repo.h"
int cluster_open(int x) { return repo_open(x); }
#include "base/banned.h"'
run
reports "cluster calls repo" "src/cluster/cluster.c uses repo_open from src/repo/repo.c" \
	"cluster and repo are siblings"

base_tree "$TEST_TMP/unknown"
src src/extra/extra.h 'int extra(void);'
run
reports "a folder outside the layer list" "folder src/extra/ is not in the layer list"

base_tree "$TEST_TMP/flat"
src src/loose.c 'int loose(void) { return 0; }'
mkdir -p "$T/build/src"
run
reports "a file directly in src/" "src/loose.c is directly in src/"

base_tree "$TEST_TMP/nopublic"
rm "$T/src/cluster/cluster.h"
src src/cluster/cluster.c '#include "store/store.h"
int cluster_open(int x) { return store_get(x); }
#include "base/banned.h"'
src src/jobs/job_kind.c '#include "jobs_int.h"
int cluster_open(int x);
int job_kind_step(int x) { return cluster_open(x); }
#include "base/banned.h"'
run
reports "a folder without its public header" "src/cluster/ has no public header src/cluster/cluster.h"

# ---------------------------------------------------------------- headers

base_tree "$TEST_TMP/private"
src src/repo/repo.c '#include "repo.h"
#include "store/store.h"
#include "store/store_int.h"
int repo_open(int x) { return store_get(x) + store_hidden(x); }
#include "base/banned.h"'
run
reports "a private header from another folder" \
	'src/repo/repo.c includes "store/store_int.h": a private header of store/'
reports "... and its symbol is not public" \
	"src/repo/repo.c uses store_hidden from src/store/store_file.c, not declared in src/store/store.h"

base_tree "$TEST_TMP/nonpublic"
src src/store/store.c '#include "store.h"
#include "store_int.h"
#include "base/log.h"
int store_get(int x) { return store_hidden(x) + store_file_ops; }
#include "base/banned.h"'
run
reports "another folder's header other than X/X.h" \
	'src/store/store.c includes "base/log.h": from outside base/ include only "base/base.h"'
is "... is the only offence" "$(offences)" 1

base_tree "$TEST_TMP/extern"
src src/jobs/job_kind.c '#include "jobs_int.h"
#include "cluster/cluster.h"
#include "store/store.h"
extern int store_hidden(int x);
int job_kind_step(int x) { return cluster_open(x) + store_hidden(x); }
#include "base/banned.h"'
run
reports "a symbol declared by hand, not in the public header" \
	"src/jobs/job_kind.c uses store_hidden from src/store/store_file.c" "not declared in src/store/store.h"

base_tree "$TEST_TMP/through"
src src/store/store.h '#include "base/base.h"
#include "store_file.h"
int store_get(int x);'
src src/store/store_file.h 'extern const int store_file_ops;
int store_hidden(int x);'
src src/jobs/job_kind.c '#include "jobs_int.h"
#include "cluster/cluster.h"
#include "store/store.h"
int job_kind_step(int x) { return cluster_open(x) + store_hidden(x); }
#include "base/banned.h"'
run
is "a symbol declared in a header the public header includes: clean" "$rc $(offences)" "0 0"

base_tree "$TEST_TMP/spelled"
src src/store/store_file.c '#include "store/store.h"
#include "store_int.h"
const int store_file_ops = 1;
int store_hidden(int x) { return base_log(x); }
#include "base/banned.h"'
run
reports "a same-folder include spelled with its folder" \
	'src/store/store_file.c includes "store/store.h": inside store/ use the bare name'

base_tree "$TEST_TMP/missing-include"
src src/fs/fs.c '#include "fs.h"
#include "jobs/jobs.h"
#ifdef NEVER
#include "jobs/nothere.h"
#endif
int fs_lookup(int x) { return job_run(x); }
#include "base/banned.h"'
run
reports "an include of a file that is not there" 'src/fs/fs.c includes "jobs/nothere.h", which is not there'

# ---------------------------------------------------------------- circles

base_tree "$TEST_TMP/pair"
src src/jobs/jobs_int.h 'int job_kind_step(int x);
int job_now(void);'
src src/jobs/job.c '#include "jobs.h"
#include "jobs_int.h"
#include "repo/repo.h"
int job_now(void) { return 1; }
int job_run(int x) { return job_kind_step(x) + repo_open(x); }
#include "base/banned.h"'
src src/jobs/job_kind.c '#include "jobs_int.h"
#include "cluster/cluster.h"
int job_kind_step(int x) { return cluster_open(x) + job_now(); }
#include "base/banned.h"'
run
reports "two files that call each other" "circles: src/jobs/job.c <-> src/jobs/job_kind.c use each other"
grep -A2 'use each other' "$TEST_TMP/out" >"$TEST_TMP/pair.out"
ok "... with the symbols each way" grep -qxF \
	-e '#   src/jobs/job.c -> src/jobs/job_kind.c: job_kind_step' "$TEST_TMP/pair.out"
ok "... both ways" grep -qxF -e '#   src/jobs/job_kind.c -> src/jobs/job.c: job_now' "$TEST_TMP/pair.out"
is "... is the only offence" "$(offences)" 1

base_tree "$TEST_TMP/data"
src src/store/store_int.h 'int store_hidden(int x);
extern int store_calls;'
src src/store/store.c '#include "store.h"
#include "store_int.h"
int store_calls;
int store_get(int x) { return store_hidden(x) + store_file_ops; }
#include "base/banned.h"'
src src/store/store_file.c '#include "store.h"
#include "store_int.h"
const int store_file_ops = 1;
int store_hidden(int x) { store_calls++; return base_log(x); }
#include "base/banned.h"'
run
reports "a circle through data references" \
	"circles: src/store/store.c <-> src/store/store_file.c use each other"
ok "... names the data" grep -qF 'src/store/store_file.c -> src/store/store.c: store_calls' "$TEST_TMP/out"

base_tree "$TEST_TMP/three"
src src/base/log.h 'int base_log(int x);
int base_a(int x);
int base_b(int x);'
src src/base/a.c '#include "log.h"
int base_a(int x) { return base_b(x); }
#include "banned.h"'
src src/base/b.c '#include "log.h"
int base_b(int x) { return x ? base_log(x - 1) : 0; }
#include "banned.h"'
src src/base/log.c '#include "log.h"
int base_log(int x) { return base_a(x); }
#include "banned.h"'
run
reports "a circle of three files" \
	"circles: src/base/a.c -> src/base/b.c -> src/base/log.c form a circle"
ok "... with each edge" grep -qxF '#   src/base/log.c -> src/base/a.c: base_a' "$TEST_TMP/out"

base_tree "$TEST_TMP/include-circle"
src src/fs/fs.h '#ifndef FS_H
#define FS_H
#include "fs_node.h"
int fs_lookup(int x);
#endif'
src src/fs/fs_node.h '#ifndef FS_NODE_H
#define FS_NODE_H
#include "fs.h"
#endif'
run
reports "headers that include each other" "circles: files include each other: src/fs/fs.h <-> src/fs/fs_node.h"

# ---------------------------------------------------------------- objects

base_tree "$TEST_TMP/noobj"
build
rm "$T/build/src/jobs/libsnapfs_a-job_kind.o"
"$CHECK" --srcdir "$T" --builddir "$T/build" >"$TEST_TMP/out" 2>&1
rc=$?
reports "a .c file without its object" "no object file for src/jobs/job_kind.c"

base_tree "$TEST_TMP/plainobj"
build
mv "$T/build/fuse/snapfs-main.o" "$T/build/fuse/main.o"
"$CHECK" --srcdir "$T" --builddir "$T/build" >"$TEST_TMP/out" 2>&1
is "an object named NAME.o is found too" "$?" 0

base_tree "$TEST_TMP/nm"
build
NM=false "$CHECK" --srcdir "$T" --builddir "$T/build" >"$TEST_TMP/out" 2>&1
is "nm failing: exit 2" "$?" 2

"$CHECK" --srcdir "$TEST_TMP/nowhere" >"$TEST_TMP/out" 2>&1
is "no src/ in --srcdir: exit 2" "$?" 2
"$CHECK" --bogus >"$TEST_TMP/out" 2>&1
is "unknown option: exit 2" "$?" 2

# ---------------------------------------------------------------- --dot

base_tree "$TEST_TMP/dot"
src src/store/store_file.c '#include "store.h"
#include "store_int.h"
int fs_lookup(int x);
const int store_file_ops = 1;
int store_hidden(int x) { return fs_lookup(x); }
#include "base/banned.h"'
build
"$CHECK" --srcdir "$T" --builddir "$T/build" --dot >"$TEST_TMP/dot.out" 2>"$TEST_TMP/err"
is "--dot: exit 0 even with offences" "$?" 0
is "... one cluster per folder" "$(grep -c '^	subgraph "cluster_' "$TEST_TMP/dot.out")" 7
ok "... a node per noun: store.c, store.h, store_int.h" grep -qF '"src/store/store" [label="store.c/.h/_int.h"' "$TEST_TMP/dot.out"
ok "... the up call in red" grep -qE '^	"src/store/store_file" -> "src/fs/fs" \[.*color="#d00000"' "$TEST_TMP/dot.out"
if require_prog dot; then
	ok "... Graphviz draws it" dot -Tsvg -o "$TEST_TMP/dot.svg" "$TEST_TMP/dot.out"
else
	pass "... Graphviz draws it # SKIP dot not found"
fi

done_testing
