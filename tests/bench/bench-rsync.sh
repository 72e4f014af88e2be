#!/bin/bash
# tests/bench/bench-rsync.sh - copy a snapshot out with rsync -a through
# the mount (MD5-checked, readable names) against the raw copy a user would
# otherwise make of the label's directory in the repository; and rsync -a
# of the mount's raw/ against rsync -a of the repository directory itself.
#
#   snapshot: rsync -a MNT/snapshots/<label>/latest/  out/
#        vs   rsync -a REPO/__palo_repository_demo/__ss_<label>/  out/
#   raw:      rsync -a MNT/raw/  out/
#        vs   rsync -a REPO/__palo_repository_demo/  out/
#
# The copy is removed (and everything synced) untimed before every run;
# copies go to the same temp dir on both sides. Two shapes, each a
# repository of BENCH_RSYNC_LABELS (2) labels; every tablet holds a .dat of
# --file-size bytes, a .idx of a quarter of that and a ~300-byte .hdr:
#   large: BENCH_RSYNC_LARGE_TABLETS (13) x BENCH_RSYNC_LARGE_SIZE (4 MiB)
#          per label: 39 files, 65 MiB
#   small: BENCH_RSYNC_SMALL_TABLETS (1000) x BENCH_RSYNC_SMALL_SIZE (4 KiB)
#          per label: 3,000 files, 5.1 MiB
# The copies go to BENCH_RSYNC_DEST (default: the temp dir, so the same
# disk as the repository; /dev/shm takes the writing out of the picture).
# Runs in about a minute and a half.
# shellcheck disable=SC2154 # bench_time VAR ... sets VAR
. "$(dirname "$0")/lib.sh"
command -v rsync >/dev/null 2>&1 || bench_die "rsync not found"

LABELS=${BENCH_RSYNC_LABELS:-2}
LARGE_TABLETS=${BENCH_RSYNC_LARGE_TABLETS:-13}
LARGE_SIZE=${BENCH_RSYNC_LARGE_SIZE:-4194304}
SMALL_TABLETS=${BENCH_RSYNC_SMALL_TABLETS:-1000}
SMALL_SIZE=${BENCH_RSYNC_SMALL_SIZE:-4096}

DEST=${BENCH_RSYNC_DEST:-$BENCH_TMP}
if [ "$DEST" != "$BENCH_TMP" ]; then
	DEST=$(mktemp -d "$DEST/snapfs-bench-rsync.XXXXXX") || bench_die "mktemp in $BENCH_RSYNC_DEST failed"
	trap 'rm -rf "$DEST"; bench_cleanup' EXIT
fi

bench_header "rsync -a out of the mount vs out of the repository directory"
echo "copies go to: $DEST ($(df -PT "$DEST" | awk 'NR == 2 { print $2 }'))"
echo "ratios: alternative time / snapfs time (1.00 = as fast, 0.50 = snapfs takes twice as long)"

# row NAME SECONDS DIR: DIR is the finished copy, for its size and count.
row() {
	local files bytes
	read -r files bytes < <(find "$3" -type f -printf '%s\n' | awk '{ n++; b += $1 } END { print n + 0, b + 0 }')
	awk -v n="$1" -v t="$2" -v b="$bytes" -v f="$files" -v r="$RUNS" 'BEGIN {
		printf "  %-46s %8.3f %7d %8.1f %9.1f %8.0f   %s\n", n, t, f,
			b / 1048576, b / 1048576 / t, f / t, r }'
}

shape() {
	local name=$1 tablets=$2 size=$3
	local out=$BENCH_TMP/$name root mnt=$BENCH_TMP/mnt-$name copy=$DEST/copy
	local t_snap_m t_snap_r t_raw_m t_raw_r label=snap1

	# --total-tablets counts the tablets of all labels together.
	mkrepo "$out" --labels "$LABELS" --total-tablets "$((tablets * LABELS))" --file-size "$size"
	root=$(repo_root "$out") || exit 2
	bench_mount "$out" "$mnt"
	ls "$mnt/snapshots/$label/latest/" >/dev/null

	echo
	printf "shape %s: %d labels x %d tablets, --file-size %d; the snapshot copied is %s\n" \
		"$name" "$LABELS" "$tablets" "$size" "$label"
	printf "  %-46s %8s %7s %8s %9s %8s   %s\n" "what" "median s" "files" "MiB" "MiB/s" "files/s" "runs (s)"

	BEFORE="rm -rf '$copy'"
	bench_time t_snap_r "rsync -a '$root/__ss_$label/' '$copy/'"
	row "rsync -a REPO/.../__ss_$label/ (alternative)" "$t_snap_r" "$copy"
	bench_time t_snap_m "rsync -a '$mnt/snapshots/$label/latest/' '$copy/'"
	row "rsync -a MNT/snapshots/$label/latest/" "$t_snap_m" "$copy"
	bench_time t_raw_r "rsync -a '$root/' '$copy/'"
	row "rsync -a REPO/__palo_repository_demo/ (alt.)" "$t_raw_r" "$copy"
	bench_time t_raw_m "rsync -a '$mnt/raw/' '$copy/'"
	row "rsync -a MNT/raw/" "$t_raw_m" "$copy"
	BEFORE=
	rm -rf "$copy"

	echo "  ratios ($name):"
	echo "    snapshot: snapfs / raw copy of __ss_$label   $(div "$t_snap_r" "$t_snap_m")"
	echo "    raw/:     snapfs / raw copy of the repo    $(div "$t_raw_r" "$t_raw_m")"

	bench_umount "$mnt"
	rm -rf "$out"
}

shape large "$LARGE_TABLETS" "$LARGE_SIZE"
shape small "$SMALL_TABLETS" "$SMALL_SIZE"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
