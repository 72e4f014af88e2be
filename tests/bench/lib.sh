# shellcheck shell=bash
# tests/bench/lib.sh - sourced by the benchmarks in this directory; not a
# test and not run on its own. Benchmarks print numbers; they never pass or
# fail (they stop with a message if a measured command itself fails, since
# its time would mean nothing).
#
# Environment (all optional):
#   SNAPFS        the snapfs binary (default: ../../build/snapfs relative to
#                 this directory, else `snapfs` in PATH)
#   MKREPO        the generator (default: ../../contrib/snapfs-mkrepo)
#   BENCH_REPS    timed runs per measurement; the median is reported (3)
#   BENCH_CACHE   warm: before the timed runs each command runs once untimed,
#                 so the repository's objects, dentries and inodes are in
#                 the page cache for both sides (default);
#                 cold: `sync; echo 3 > /proc/sys/vm/drop_caches` before
#                 every timed run of either side, no untimed run
#   TMPDIR        where the sample repositories and copies go (/tmp)
set -u

BENCH_NAME=$(basename "$0" .sh)
bench_dir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$bench_dir/../.." && pwd)

bench_die() {
	echo "$BENCH_NAME: $*" >&2
	exit 2
}

if [ -z "${SNAPFS:-}" ]; then
	if [ -x "$bench_dir/../../build/snapfs" ]; then
		SNAPFS=$bench_dir/../../build/snapfs
	else
		SNAPFS=$(command -v snapfs || true)
	fi
fi
if [ -z "$SNAPFS" ] || [ ! -x "$SNAPFS" ]; then
	bench_die "snapfs binary not found: set SNAPFS=/path/to/snapfs"
fi
# Absolute and resolved: bench_pid compares it with /proc/PID/exe.
SNAPFS=$(realpath "$SNAPFS")
MKREPO=${MKREPO:-$top_srcdir/contrib/snapfs-mkrepo}
BENCH_REPS=${BENCH_REPS:-3}
BENCH_CACHE=${BENCH_CACHE:-warm}

for _p in fusermount3 python3 md5sum awk mountpoint realpath; do
	command -v "$_p" >/dev/null 2>&1 || bench_die "$_p not found"
done
[ -c /dev/fuse ] || bench_die "no /dev/fuse"
[ -f "$MKREPO" ] || bench_die "generator not found: $MKREPO"
case $BENCH_REPS in
'' | *[!0-9]* | 0) bench_die "BENCH_REPS must be a positive integer" ;;
esac
case $BENCH_CACHE in
warm) ;;
cold)
	sync
	{ echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null ||
		bench_die "BENCH_CACHE=cold needs a writable /proc/sys/vm/drop_caches (root, not in a container)"
	;;
*) bench_die "BENCH_CACHE must be warm or cold" ;;
esac

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/snapfs-$BENCH_NAME.XXXXXX") ||
	bench_die "mktemp failed"
BENCH_TMP=$(realpath "$BENCH_TMP")
_bench_pids=()

# alive PID: the process exists and is not a zombie (the daemon's parent
# after daemonizing is init, which may be slow to reap it).
alive() {
	local st
	st=$(awk '$1 == "State:" {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# Unmount everything mounted below $BENCH_TMP, wait for the daemons we
# started to exit (they do once unmounted), remove the temp dir.
bench_cleanup() {
	local m p i
	# shellcheck disable=SC2013 # mount points under mktemp have no blanks
	for m in $(awk -v t="$BENCH_TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts); do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for p in "${_bench_pids[@]}"; do
		for i in $(seq 1 100); do
			alive "$p" || break
			sleep 0.05
		done
	done
	rm -rf --one-file-system "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# now: seconds since the epoch, nanosecond resolution.
now() { date +%s.%N; }

# sub A B: A - B with 4 decimals. div A B: A / B with 2 decimals.
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a - b }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# mkrepo OUTDIR [args...]: generate a sample repository.
mkrepo() {
	local out=$1
	shift
	python3 "$MKREPO" "$@" "$out" >/dev/null || bench_die "snapfs-mkrepo $* failed"
}

# repo_root OUTDIR: the __palo_repository_<name> directory in OUTDIR.
repo_root() {
	local d
	for d in "$1"/__palo_repository_* "$1"/__starrocks_repository_*; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	bench_die "no repository in $1"
}

# bench_pid MNT: the pid of the snapfs daemon serving MNT (its exe is
# $SNAPFS and its last argument is MNT).
bench_pid() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$SNAPFS" ] || continue
		alive "${p#/proc/}" || continue
		if [ "$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null | tail -n 1)" = "$1" ]; then
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# bench_mount REPO MNT [snapfs options...]: mount as a user would (snapfs
# daemonizes once the mount answers); sets SNAPFS_PID.
bench_mount() {
	local repo=$1 mnt=$2
	shift 2
	mkdir -p "$mnt"
	"$SNAPFS" "$@" "$repo" "$mnt" || bench_die "mounting $repo on $mnt failed"
	SNAPFS_PID=$(bench_pid "$mnt") || bench_die "no snapfs daemon for $mnt"
	_bench_pids+=("$SNAPFS_PID")
}

# bench_umount MNT: unmount and wait for the daemon to exit.
bench_umount() {
	local mnt=$1 pid i
	pid=$(bench_pid "$mnt") || pid=
	fusermount3 -u "$mnt" || bench_die "fusermount3 -u $mnt failed"
	for i in $(seq 1 200); do
		if [ -z "$pid" ] || ! alive "$pid"; then
			return 0
		fi
		sleep 0.05
	done
}

# rss_kib PID: VmRSS of PID in KiB.
rss_kib() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }

# bench_prep: run before every timed command, on both sides alike.
bench_prep() {
	sync
	if [ "$BENCH_CACHE" = cold ]; then
		echo 3 >/proc/sys/vm/drop_caches
	fi
}

# bench_time VAR CMD: time the shell command CMD (stdout to /dev/null)
# BENCH_REPS times and set VAR to the median wall-clock seconds; RUNS is
# set to all the times. In warm mode CMD runs once untimed first. The
# optional shell code in BEFORE and AFTER runs untimed around every run
# (warm-up included), e.g. to mount, unmount or remove a copy.
bench_time() {
	local var=$1 cmd=$2 i n s e times=()
	n=$BENCH_REPS
	[ "$BENCH_CACHE" = warm ] && n=$((n + 1))
	for ((i = 0; i < n; i++)); do
		[ -z "${BEFORE:-}" ] || eval "$BEFORE"
		bench_prep
		s=$(now)
		if ! eval "$cmd" >/dev/null 2>"$BENCH_TMP/.err"; then
			echo "$BENCH_NAME: command failed: $cmd" >&2
			head -c 2000 "$BENCH_TMP/.err" >&2
			exit 1
		fi
		e=$(now)
		[ -z "${AFTER:-}" ] || eval "$AFTER"
		if [ "$BENCH_CACHE" = warm ] && [ "$i" -eq 0 ]; then
			continue
		fi
		times+=("$(sub "$e" "$s")")
	done
	# shellcheck disable=SC2034 # read by the scripts' row functions
	RUNS="${times[*]}"
	printf -v "$var" %s "$(printf '%s\n' "${times[@]}" | sort -g |
		awk '{ a[NR] = $1 }
		     END { if (NR % 2) print a[(NR + 1) / 2];
			   else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
}

# bench_header TITLE: what ran where.
bench_header() {
	echo "== $BENCH_NAME: $1"
	echo "snapfs: $SNAPFS"
	echo "cache: $BENCH_CACHE ($(
		if [ "$BENCH_CACHE" = warm ]; then
			echo "one untimed run of each command first"
		else
			echo "sync + drop_caches before every timed run"
		fi
	)); $BENCH_REPS timed runs, median reported"
	echo "machine: $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	if awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg; then
		echo "note: the machine is busy; expect noisy numbers"
	fi
}
