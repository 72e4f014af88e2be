#!/bin/bash
# tests/bench/bench-list.sh - metadata: mounting and listing, walking a
# whole snapshot with ls -lR, and the daemon's memory afterwards.
#
#   labels: a repository of BENCH_LIST_LABELS (200) tiny labels (1 tablet
#           each): mount + ls MNT/snapshots, and mount + ls of every
#           label's latest/ (reads each label's listing and info object).
#   walk:   one snapshot of BENCH_WALK_TABLETS (2000) tablets: ls -lR of
#           MNT/snapshots/<label>/<ts>/, of .../latest/ and find -printf
#           through the mount, each on a fresh mount (the first walk, which
#           includes parsing the info), against find -printf and ls -lR of
#           the label's directory in the repository; VmRSS of the daemon
#           after the ls -lR.
#   big:    one snapshot of BENCH_LIST_TABLETS (100,000) tablets, --file-size
#           16 (300,000 objects, ~1.8 GB on ext4 because of 4 KiB blocks):
#           mount + ls MNT/snapshots, mount + ls <label>/latest/ (parses the
#           ~30 MB info), then ls -lR of the whole snapshot through a fresh
#           mount against find -printf and ls -lR of the objects, and VmRSS.
#           Generating it takes about a minute (and removing it about as
#           long), one walk through the mount one to two minutes, so that
#           walk runs
#           BENCH_BIG_WALK_REPS (1) times, with no untimed run first (the
#           repository side has been walked just before).
#           BENCH_LIST_TABLETS=0 skips this part.
# The labels and walk parts take about a minute; with the big part the
# whole script takes five to six minutes and needs ~2 GB in TMPDIR.
# shellcheck disable=SC2154 # bench_time VAR ... sets VAR
. "$(dirname "$0")/lib.sh"

NLABELS=${BENCH_LIST_LABELS:-200}
WALK_TABLETS=${BENCH_WALK_TABLETS:-2000}
BIG_TABLETS=${BENCH_LIST_TABLETS:-100000}
BIG_WALK_REPS=${BENCH_BIG_WALK_REPS:-1}

bench_header "mount, list and walk"
echo "ratios: alternative time / snapfs time (1.00 = as fast, 0.10 = snapfs takes ten times as long)"

MNT=$BENCH_TMP/mnt
mkdir -p "$MNT"
WALK_RSS=

# row NAME SECONDS [ENTRIES]
row() {
	awk -v n="$1" -v t="$2" -v e="${3:-}" -v r="$RUNS" 'BEGIN {
		if (e != "") printf "  %-46s %8.3f %9.0f   %s\n", n, t, e / t, r;
		else printf "  %-46s %8.3f %9s   %s\n", n, t, "", r }'
}
header() { printf "  %-46s %8s %9s   %s\n" "what" "median s" "entries/s" "runs (s)"; }

# After a walk: remember the daemon's RSS, then unmount.
walk_after() {
	WALK_RSS=$(rss_kib "$SNAPFS_PID")
	bench_umount "$MNT"
}

# walk LABEL_DIR NAME: the walk rows for the label's newest timestamp.
walk() {
	local out=$1 name=$2 reps=${3:-$BENCH_REPS} root ts entries
	local t_find_r t_ls_r t_ls_ts t_ls_latest t_find_m rss_ls
	root=$(repo_root "$out") || exit 2
	ts=$(awk -F'\t' '{ split($1, a, "/"); print a[2]; exit }' "$out/manifest.tsv")
	entries=$(find "$root/__ss_snap1/" | wc -l)
	header

	bench_time t_find_r "find '$root/__ss_snap1/' -printf '%s %p\n'"
	row "find REPO/.../__ss_snap1/ -printf (alternative)" "$t_find_r" "$entries"
	bench_time t_ls_r "ls -lR '$root/__ss_snap1/'"
	row "ls -lR REPO/.../__ss_snap1/" "$t_ls_r" "$entries"

	BEFORE="bench_mount '$out' '$MNT'"
	AFTER="walk_after"
	if [ "$name" = big ]; then
		local save=$BENCH_REPS
		BENCH_REPS=$reps
		# No untimed first walk: the repository side is warm already.
		bench_time_nowarm t_ls_ts "ls -lR '$MNT/snapshots/snap1/$ts/'"
		BENCH_REPS=$save
		row "ls -lR MNT/snapshots/snap1/<ts>/ (fresh mount)" "$t_ls_ts" "$entries"
		rss_ls=$WALK_RSS
	else
		bench_time t_ls_ts "ls -lR '$MNT/snapshots/snap1/$ts/'"
		row "ls -lR MNT/snapshots/snap1/<ts>/ (fresh mount)" "$t_ls_ts" "$entries"
		rss_ls=$WALK_RSS
		bench_time t_ls_latest "ls -lR '$MNT/snapshots/snap1/latest/'"
		row "ls -lR MNT/snapshots/snap1/latest/ (fresh)" "$t_ls_latest" "$entries"
		bench_time t_find_m "find '$MNT/snapshots/snap1/$ts/' -printf '%s %p\n'"
		row "find MNT/snapshots/snap1/<ts>/ -printf (fresh)" "$t_find_m" "$entries"
	fi
	BEFORE='' AFTER=''

	echo "  snapfs VmRSS after the ls -lR walk: $rss_ls KiB ($(awk -v r="$rss_ls" -v e="$entries" 'BEGIN { printf "%.0f", r * 1024 / e }') bytes per entry)"
	echo "  ratios ($name, $entries entries in the repository's label directory):"
	echo "    ls -lR MNT/<ts>/ / find -printf REPO         $(div "$t_find_r" "$t_ls_ts")"
	echo "    ls -lR MNT/<ts>/ / ls -lR REPO               $(div "$t_ls_r" "$t_ls_ts")"
	if [ "$name" != big ]; then
		echo "    find -printf MNT/<ts>/ / find -printf REPO   $(div "$t_find_r" "$t_find_m")"
		echo "    ls -lR MNT/latest/ / ls -lR MNT/<ts>/        $(div "$t_ls_ts" "$t_ls_latest")   (path lookups through the symlink)"
	fi
}

# bench_time without the untimed first run in warm mode.
bench_time_nowarm() {
	local c=$BENCH_CACHE
	[ "$c" = warm ] && BENCH_CACHE=none
	bench_time "$@"
	BENCH_CACHE=$c
}

# ---- many labels
out=$BENCH_TMP/labels
mkrepo "$out" --labels "$NLABELS" --tables 1 --partitions 1 --rollups 0 --buckets 1 --file-size 16
root=$(repo_root "$out") || exit 2
echo
echo "labels: $NLABELS labels of 1 tablet each"
header
bench_time t "ls '$root/'"
row "ls REPO/__palo_repository_demo/ (for scale)" "$t"
AFTER="bench_umount '$MNT'"
bench_time t_ls "'$SNAPFS' '$out' '$MNT' && ls '$MNT/snapshots'"
AFTER=
row "mount + ls MNT/snapshots" "$t_ls"
bench_time t "ls '$root'/__ss_*/"
row "ls REPO/__ss_*/ (for scale)" "$t"
AFTER="bench_umount '$MNT'"
bench_time t_latest "'$SNAPFS' '$out' '$MNT' && ls '$MNT'/snapshots/*/latest/"
AFTER=
row "mount + ls MNT/snapshots/*/latest/" "$t_latest"
rm -rf "$out"

# ---- walk a middle-sized snapshot
out=$BENCH_TMP/walk
mkrepo "$out" --labels 1 --total-tablets "$WALK_TABLETS" --file-size 16
echo
echo "walk: 1 snapshot of $WALK_TABLETS tablets ($((WALK_TABLETS * 3)) objects)"
walk "$out" walk
rm -rf "$out"

# ---- 100,000 tablets
if [ "$BIG_TABLETS" -gt 0 ]; then
	out=$BENCH_TMP/big
	echo
	echo "big: generating 1 snapshot of $BIG_TABLETS tablets ($((BIG_TABLETS * 3)) objects); about a minute for 100,000 ..."
	s=$(now)
	mkrepo "$out" --labels 1 --total-tablets "$BIG_TABLETS" --file-size 16
	echo "big: generated in $(div "$(sub "$(now)" "$s")" 1) s; info object $(stat -c %s "$(repo_root "$out")"/__ss_snap1/__info_*) bytes"
	header
	AFTER="bench_umount '$MNT'"
	bench_time t "'$SNAPFS' '$out' '$MNT' && ls '$MNT/snapshots'"
	AFTER=
	row "mount + ls MNT/snapshots" "$t"
	# shellcheck disable=SC2016 # evaluated later by bench_time
	AFTER='BIG_RSS=$(rss_kib "$(bench_pid "$MNT")"); bench_umount "$MNT"'
	bench_time t "'$SNAPFS' '$out' '$MNT' && ls '$MNT/snapshots/snap1/latest/'"
	AFTER=
	row "mount + ls MNT/snapshots/snap1/latest/" "$t"
	echo "  snapfs VmRSS after ls latest/ (info parsed): $BIG_RSS KiB"
	walk "$out" big "$BIG_WALK_REPS"
	s=$(now)
	rm -rf "$out"
	echo "  (removing the repository took $(div "$(sub "$(now)" "$s")" 1) s)"
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
