# tests/sh/lib.sh - sourced by every shell test. Emits TAP.
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3                      (or: plan_skip "reason")
#   ok "title" cmd args...      run a command; pass if it exits 0
#   is "title" GOT WANT         compare two strings
#   at_exit "cmd"               cleanup, run in reverse order on exit
#
# Each script works in its own $TEST_TMP, removed at exit.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SNAPFS=${SNAPFS:-$top_builddir/snapfs}
MKREPO=${MKREPO:-$top_srcdir/contrib/snapfs-mkrepo}
TEST_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/snapfs-$TEST_NAME.XXXXXX")
# The local cluster of every mount goes into the test's own directory.
export XDG_DATA_HOME=$TEST_TMP/xdg
# Sanitizer reports (a build with --enable-sanitizers) of every program
# this test starts go to files in $TEST_TMP/san: a daemonised mount has no
# stderr left to write them to. Any report fails the test at exit, and is
# kept in $SNAPFS_SAN_LOG_DIR when that is set (contrib/setup test).
mkdir -p "$TEST_TMP/san"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TEST_TMP/san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$TEST_TMP/san/ubsan"
_n=0
_failed=0
_cleanups=()

at_exit() { _cleanups+=("$1"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	# Mounts made in subshells (ok "..." mount_snapfs) can't register
	# themselves: unmount whatever is still mounted below $TEST_TMP.
	local m
	for m in $(awk -v t="$TEST_TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts); do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	# Let the daemons finish (sanitizers report at exit), then fail the
	# script if any of them reported a memory error or leak.
	local i
	for i in $(seq 1 30); do
		pgrep -f "snapfs.*$TEST_TMP" >/dev/null || break
		sleep 0.1
	done
	local rc=0
	if [ -f "$TEST_TMP/snapfs.log" ] &&
		grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$TEST_TMP/snapfs.log"; then
		echo "# snapfs reported memory errors:"
		sed 's/^/#   /' "$TEST_TMP/snapfs.log" | head -60
		rc=1
	fi
	local san
	for san in "$TEST_TMP"/san/*; do
		[ -f "$san" ] || continue
		echo "# sanitizer report ${san##*/}:"
		sed 's/^/#   /' "$san" | head -80
		if [ -n "${SNAPFS_SAN_LOG_DIR:-}" ]; then
			mkdir -p "$SNAPFS_SAN_LOG_DIR" &&
				cp "$san" "$SNAPFS_SAN_LOG_DIR/$TEST_NAME.${san##*/}"
		fi
		rc=1
	done
	rm -rf --one-file-system "$TEST_TMP"
	[ "$rc" -eq 0 ] || exit "$rc"
}
trap _run_cleanups EXIT

plan() { echo "1..$1"; }
plan_skip() { echo "1..0 # SKIP $1"; exit 0; }
diag() { printf '# %s\n' "$*" | sed '2,$s/^/# /'; }

pass() { _n=$((_n + 1)); echo "ok $_n - $1"; }
fail() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1"; }

# ok TITLE CMD...: the command must succeed; its output goes to diag on failure.
ok() {
	local title=$1
	shift
	# Output goes to a file: it may be binary.
	if "$@" >"$TEST_TMP/.ok.out" 2>&1; then
		pass "$title"
	else
		fail "$title"
		diag "command: $*"
		diag "$(head -c 2000 "$TEST_TMP/.ok.out" | tr -d '\0')"
	fi
}

# fails TITLE CMD...: the command must fail.
fails() {
	local title=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "$title"
		diag "command unexpectedly succeeded: $*"
	else
		pass "$title"
	fi
}

# is TITLE GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		diag "got:  $2"
		diag "want: $3"
	fi
}

require_prog() { command -v "$1" >/dev/null 2>&1; }

# require_fuse: skip the whole script unless we can mount.
require_fuse() {
	[ -c /dev/fuse ] || plan_skip "no /dev/fuse"
	require_prog fusermount3 || plan_skip "fusermount3 not found"
	[ -x "$SNAPFS" ] || plan_skip "snapfs not built"
}

# mount_snapfs URL MNT [options...]: mount in the background; waits until
# the mount answers. Everything mounted below $TEST_TMP is unmounted at exit.
mount_snapfs() {
	local url=$1 mnt=$2 i
	shift 2
	mkdir -p "$mnt"
	# Foreground in the background, so the log lands in snapfs.log.
	"$SNAPFS" -f "$@" "$url" "$mnt" </dev/null >/dev/null 2>>"$TEST_TMP/snapfs.log" &
	for i in $(seq 1 100); do
		mountpoint -q "$mnt" && [ -e "$mnt/README" ] && return 0
		sleep 0.05
	done
	return 1
}

unmount_snapfs() { fusermount3 -u "$1"; }

# mkrepo DIR [args...]: generate a sample repository with the contrib tool.
mkrepo() { python3 "$MKREPO" "$@"; }

done_testing() {
	[ "$_failed" -eq 0 ]
}

# snapfs_pid MNT: pid of the snapfs process serving MNT.
snapfs_pid() {
	pgrep -f -n "snapfs.* $1\$"
}

# manifest_files REPO_OUTDIR: data-file lines of manifest.tsv (no info/meta).
manifest_files() {
	awk -F'\t' '$1 !~ /\/(info|meta)$/' "$1/manifest.tsv"
}

# json_get FILE EXPR: print a value from a JSON file (python3 expression
# over d, the parsed document).
json_get() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
