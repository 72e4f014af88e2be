#!/bin/bash
# tests/bench/run-all.sh - run every benchmark in this directory, one after
# the other (never in parallel: they would measure each other), with the
# machine described first. Same environment variables as the benchmarks
# (SNAPFS, BENCH_REPS, BENCH_CACHE, the sizes; see lib.sh and each script).
# bench-list.sh builds a 100,000-tablet repository: the whole run takes
# eight to ten minutes; BENCH_LIST_TABLETS=0 skips that part (about four).
# bench-s3.sh runs against the S3 test servers of tests/servers/
# s3-servers.sh (it starts them if they are not running) and needs awscli,
# rclone and flock: about three minutes more; BENCH_S3=0 skips it.
set -u
here=$(cd "$(dirname "$0")" && pwd)

echo "== machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "cpus:    $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "memory:  $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "kernel:  $(uname -sr)"
echo "libfuse: $(pkg-config --modversion fuse3 2>/dev/null || echo unknown) ($(fusermount3 --version 2>&1 | head -n 1))"
echo "tools:   $(rsync --version | head -n 1); $(cat --version | head -n 1)"
echo "tmp:     ${TMPDIR:-/tmp} on $(df -PT "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 " (" $1 ")" }')"
echo

status=0
benches=(bench-read.sh bench-rsync.sh bench-list.sh)
[ "${BENCH_S3:-1}" = 0 ] || benches+=(bench-s3.sh)
for b in "${benches[@]}"; do
	s=$(date +%s)
	"$here/$b" || status=1
	echo "($b: $(($(date +%s) - s)) s)"
	echo
done
exit $status
