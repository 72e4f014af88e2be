#!/bin/bash
# tests/bench/bench-read.sh - read every data file of one snapshot through
# the mount (snapfs MD5-checks every full read) against what a user would
# run instead on the repository directory: md5sum over the stored objects
# (the same verification by hand), and plain cat of them (no verification).
# cat through a second mount with -o noverify shows what the check costs.
#
# Two shapes, each its own repository (one label) in a temp dir. Every
# tablet holds three objects: <rowset>_0.dat of --file-size bytes, .idx of
# a quarter of that, and a ~300-byte .hdr:
#   large: BENCH_READ_LARGE_TABLETS (13) x BENCH_READ_LARGE_SIZE (4 MiB)
#          = 39 files, 65 MiB
#   small: BENCH_READ_SMALL_TABLETS (1667) x BENCH_READ_SMALL_SIZE (4 KiB)
#          = 5,001 files of 4 KiB, 1 KiB and ~300 B
# Files are read in manifest order, the same order on both sides, with
# `xargs -0 cat` / `xargs -0 md5sum`. Runs in about a minute.
# shellcheck disable=SC2154 # bench_time VAR ... sets VAR
. "$(dirname "$0")/lib.sh"

LARGE_TABLETS=${BENCH_READ_LARGE_TABLETS:-13}
LARGE_SIZE=${BENCH_READ_LARGE_SIZE:-4194304}
SMALL_TABLETS=${BENCH_READ_SMALL_TABLETS:-1667}
SMALL_SIZE=${BENCH_READ_SMALL_SIZE:-4096}

bench_header "read one snapshot's data files: mount vs the raw objects"
echo "throughput ratios: snapfs MiB/s / alternative MiB/s (1.00 = as fast, 0.50 = half as fast)"

# row NAME SECONDS BYTES FILES
row() {
	awk -v n="$1" -v t="$2" -v b="$3" -v f="$4" -v r="$RUNS" 'BEGIN {
		printf "  %-36s %8.3f %9.1f %9.0f   %s\n", n, t,
			b / 1048576 / t, f / t, r }'
}

shape() {
	local name=$1 tablets=$2 size=$3
	local out=$BENCH_TMP/$name root m1=$BENCH_TMP/mnt-$name m2=$BENCH_TMP/mnt-$name-nv
	local nfiles bytes t_md5 t_cat t_ver t_nv

	mkrepo "$out" --labels 1 --total-tablets "$tablets" --file-size "$size"
	root=$(repo_root "$out") || exit 2
	# NUL-separated path lists, data files only (no info/meta), same order.
	awk -F'\t' -v p="$m1/snapshots/" '$1 !~ /\/(info|meta)$/ { printf "%s%s%c", p, $1, 0 }' \
		"$out/manifest.tsv" >"$BENCH_TMP/$name.mnt"
	awk -F'\t' -v p="$m2/snapshots/" '$1 !~ /\/(info|meta)$/ { printf "%s%s%c", p, $1, 0 }' \
		"$out/manifest.tsv" >"$BENCH_TMP/$name.nv"
	awk -F'\t' -v p="$root/" '$1 !~ /\/(info|meta)$/ { printf "%s%s%c", p, $4, 0 }' \
		"$out/manifest.tsv" >"$BENCH_TMP/$name.raw"
	read -r nfiles bytes < <(awk -F'\t' '$1 !~ /\/(info|meta)$/ { n++; b += $2 }
		END { print n, b }' "$out/manifest.tsv")

	bench_mount "$out" "$m1"
	bench_mount "$out" "$m2" -o noverify
	# Load the snapshot in both daemons (lazy: the first look parses the
	# info), so the timed runs measure reads, not the first listing.
	ls -R "$m1/snapshots" "$m2/snapshots" >/dev/null

	echo
	printf "shape %s: %d files, %.1f MiB (%d tablets, --file-size %d)\n" \
		"$name" "$nfiles" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$tablets" "$size"
	printf "  %-36s %8s %9s %9s   %s\n" "what" "median s" "MiB/s" "files/s" "runs (s)"

	bench_time t_md5 "xargs -0 md5sum <'$BENCH_TMP/$name.raw'"
	row "md5sum raw objects (alternative)" "$t_md5" "$bytes" "$nfiles"
	bench_time t_cat "xargs -0 cat <'$BENCH_TMP/$name.raw'"
	row "cat raw objects" "$t_cat" "$bytes" "$nfiles"
	bench_time t_ver "xargs -0 cat <'$BENCH_TMP/$name.mnt'"
	row "cat through snapfs (MD5-verified)" "$t_ver" "$bytes" "$nfiles"
	bench_time t_nv "xargs -0 cat <'$BENCH_TMP/$name.nv'"
	row "cat through snapfs -o noverify" "$t_nv" "$bytes" "$nfiles"

	echo "  ratios ($name):"
	echo "    snapfs verified / md5sum raw      $(div "$t_md5" "$t_ver")"
	echo "    snapfs verified / cat raw         $(div "$t_cat" "$t_ver")"
	echo "    snapfs noverify / cat raw         $(div "$t_cat" "$t_nv")"
	echo "    snapfs verified / snapfs noverify $(div "$t_nv" "$t_ver")   (cost of the MD5 check)"

	bench_umount "$m1"
	bench_umount "$m2"
	rm -rf "$out"
}

shape large "$LARGE_TABLETS" "$LARGE_SIZE"
shape small "$SMALL_TABLETS" "$SMALL_SIZE"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
