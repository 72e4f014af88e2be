#!/bin/bash
# tests/bench/bench-s3.sh - an s3:// mount against what a user would run
# instead on the same objects (awscli and rclone), on the S3 test servers
# of tests/servers/s3-servers.sh, all in the same run. Per server and shape:
#
#   download: `aws s3 sync` of the label's objects (__ss_snap1/) to local
#             disk (the alternative), `rclone copy --fast-list` of the same;
#             against
#     read:     cp -r of the snapshot's data files out of a fresh s3://
#               mount (snapfs loads the snapshot, lists the tablets, GETs
#               and MD5-checks every file), and the fresh mount's listing
#               alone (find), to tell the two apart;
#     restore:  RESTORE SNAPSHOT through MNT/control/restore, polling
#               MNT/jobs/<id>/status until FINISHED (replication_num 1, so
#               one copy lands on disk), with download_threads 4 (the
#               default) and with each value in BENCH_S3_THREADS (1).
#   upload:   `aws s3 cp --recursive` and `rclone copy --fast-list
#             --no-check-dest` of the same data files (the alternatives;
#             every run sends every file, over what the last one sent);
#             against
#             BACKUP SNAPSHOT through MNT/control/backup of a database the
#             restores made, into the mounted repository (every file read,
#             MD5-checked and PUT), and a second BACKUP of the unchanged
#             tables under a new label (snapfs copies every file inside the
#             store with CopyObject: FilesCopied) against the first.
#
# Two repository shapes (one label each, made by contrib/snapfs-mkrepo);
# every tablet holds a .dat of --file-size bytes, an .idx of a quarter of it
# and a ~300-byte .hdr:
#   large: BENCH_S3_LARGE_TABLETS (8) x BENCH_S3_LARGE_SIZE (8 MiB)
#          = 24 files, 80 MiB
#   small: BENCH_S3_SMALL_TABLETS (20) x BENCH_S3_SMALL_SIZE (4 KiB)
#          = 60 files of 4 KiB, 1 KiB and ~300 B
# (small because every object costs Swift some 15-25 ms to write and as
# much to delete: each run leaves two backups behind, and the bucket is
# emptied at the end.)
# BENCH_S3_SHAPES ("large small") chooses which run.
#
# Servers: BENCH_S3_SERVERS ("swift s3rver"): OpenStack Swift s3api on
# 127.0.0.1:8080 (test:tester / testing) and s3rver on 127.0.0.1:4568
# (S3RVER / S3RVER), from tests/servers/s3-servers.sh. Unless they run,
# the script starts them (and stops them at the end, unless a test uses
# them then); BENCH_S3_START=0 does not, and a server that does not answer
# is skipped with a note. While it runs it holds the lock the S3 tests
# hold (tests/sh/s3lib.sh), so a test that ends does not stop them. Per
# server both repositories are uploaded with awscli into a new bucket
# (snapfs-bench-<time>-<pid>), deleted at the end, also when interrupted.
#
# No untimed run first: the server has every object in its page cache
# from the upload, and every run starts from nothing on the client (an
# empty directory, a fresh mount, a new database, a new label).
# BENCH_CACHE=cold drops the caches before every timed run, as in the other
# benchmarks.
#
# BENCH_S3_REQUESTS=1 adds one untimed pass of every command per server and
# shape that counts the HTTP requests it sends (strace on the client; the
# test servers keep no request log). Off by default: strace makes the run
# about two minutes longer.
#
# awscli runs 10 requests at a time (its default), rclone 4 transfers and 8
# checkers, cp -r one file at a time, restore and backup jobs
# download_threads tablets at a time. The servers run on this machine, so
# the numbers are about client overhead, request counts and the servers'
# own cost per request, not about a network. About three minutes with both
# servers and BENCH_REPS=3.
# shellcheck disable=SC2154 # bench_time VAR ... sets VAR
. "$(dirname "$0")/lib.sh"

AWS_BIN=${BENCH_S3_AWS:-/usr/bin/aws}
[ -x "$AWS_BIN" ] || bench_die "$AWS_BIN not found (apt-get install awscli; the pyenv shim called aws is another program)"
command -v rclone >/dev/null 2>&1 || bench_die "rclone not found (apt-get install rclone)"
command -v flock >/dev/null 2>&1 || bench_die "flock not found"

LARGE_TABLETS=${BENCH_S3_LARGE_TABLETS:-8}
LARGE_SIZE=${BENCH_S3_LARGE_SIZE:-8388608}
SMALL_TABLETS=${BENCH_S3_SMALL_TABLETS:-20}
SMALL_SIZE=${BENCH_S3_SMALL_SIZE:-4096}
SERVERS=${BENCH_S3_SERVERS:-swift s3rver}
SHAPES=${BENCH_S3_SHAPES:-large small}
THREADS=${BENCH_S3_THREADS:-1}
REQUESTS=${BENCH_S3_REQUESTS:-0}
if [ "$REQUESTS" = 1 ] && ! command -v strace >/dev/null 2>&1; then
	echo "note: no strace, no request counts"
	REQUESTS=0
fi
# No untimed first run (see above); cold keeps its meaning.
[ "$BENCH_CACHE" = warm ] && BENCH_CACHE=none

# The machine's environment may point awscli and rclone elsewhere.
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=
unset AWS_PROFILE AWS_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN
export RCLONE_CONFIG=/dev/null RCLONE_CONFIG_BS3_TYPE=s3 RCLONE_CONFIG_BS3_PROVIDER=Other \
	RCLONE_CONFIG_BS3_REGION=us-east-1 RCLONE_CONFIG_BS3_FORCE_PATH_STYLE=true

# server NAME: set EP, KEY and the credentials for awscli, rclone, snapfs.
server() {
	case $1 in
	swift) EP=http://127.0.0.1:8080 KEY=test:tester SECRET=testing ;;
	s3rver) EP=http://127.0.0.1:4568 KEY=S3RVER SECRET=S3RVER ;;
	*) bench_die "unknown server $1 (swift, s3rver)" ;;
	esac
	export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET \
		RCLONE_CONFIG_BS3_ACCESS_KEY_ID=$KEY RCLONE_CONFIG_BS3_SECRET_ACCESS_KEY=$SECRET \
		RCLONE_CONFIG_BS3_ENDPOINT=$EP
}
aws_() { "$AWS_BIN" --endpoint-url "$EP" "$@"; }
# rclone 1.60 fails every S3 call while AWS_CA_BUNDLE is set.
rclone_() { env -u AWS_CA_BUNDLE rclone "$@"; }
answers() {
	local hp=${1#http://}
	(exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}") 2>/dev/null
}

# Buckets still to delete, as "server bucket"; emptied on the way out.
_buckets=()
drop_bucket() {
	local top l
	server "$1"
	# Swift deletes some 40 objects a second per request stream: one
	# `aws s3 rm` per label and upload prefix, four at a time.
	for top in $(aws_ s3 ls "s3://$2/" 2>/dev/null | awk '$1 == "PRE" { print $2 }'); do
		if [ "$top" = large/ ] || [ "$top" = small/ ]; then
			for l in $(aws_ s3 ls "s3://$2/$top$REPO/" 2>/dev/null | awk '$1 == "PRE" { print $2 }'); do
				echo "$top$REPO/$l"
			done
		else
			echo "$top"
		fi
	done | xargs -r -P 4 -I{} "$AWS_BIN" --endpoint-url "$EP" s3 rm --recursive --quiet "s3://$2/{}" >/dev/null 2>&1
	aws_ s3 rb --force "s3://$2" >/dev/null 2>&1 ||
		echo "$BENCH_NAME: could not delete bucket $2 on $1" >&2
}
s3_cleanup() {
	local b
	for b in "${_buckets[@]}"; do
		# shellcheck disable=SC2086 # "server bucket"
		drop_bucket $b
	done
	_buckets=()
}
# The test servers are shared with the test suite (tests/sh/s3lib.sh): a
# shared lock on $S3_STATE.users for the whole run keeps a test that ends
# from stopping them under us; starting them is serialised on
# $S3_STATE.lock. If this script had to start them, it stops them at the
# end unless a test holds them then, as the tests do.
S3_SERVERS_SH=$top_srcdir/tests/servers/s3-servers.sh
S3_STATE=${SNAPFS_S3_STATE:-/tmp/snapfs-s3srv}
_s3_users_fd=
s3_hold() {
	exec {_s3_lock_fd}>"$S3_STATE.lock" {_s3_users_fd}>"$S3_STATE.users"
	flock "$_s3_lock_fd"
	flock -s "$_s3_users_fd"
	if [ "${BENCH_S3_START:-1}" = 1 ] && ! "$S3_SERVERS_SH" status >/dev/null 2>&1; then
		echo "starting the test servers: $S3_SERVERS_SH start"
		# The servers must not inherit the lock files.
		if "$S3_SERVERS_SH" start >"$BENCH_TMP/s3-servers.log" 2>&1 \
			{_s3_lock_fd}>&- {_s3_users_fd}>&-; then
			touch "$S3_STATE/.autostarted"
		else
			echo "note: they did not start: $(tail -n 3 "$BENCH_TMP/s3-servers.log" | tr '\n' ' ')"
		fi
	fi
	flock -u "$_s3_lock_fd"
}
s3_release() {
	[ -n "$_s3_users_fd" ] || return 0
	flock "$_s3_lock_fd"
	flock -u "$_s3_users_fd"
	if [ -e "$S3_STATE/.autostarted" ] && flock -n -x "$_s3_users_fd"; then
		"$S3_SERVERS_SH" stop >/dev/null 2>&1 {_s3_lock_fd}>&- {_s3_users_fd}>&-
		rm -f "$S3_STATE/.autostarted"
		flock -u "$_s3_users_fd"
	fi
	flock -u "$_s3_lock_fd"
	_s3_users_fd=
}
# Unmount first: a daemon must not write into a bucket being deleted.
trap 'bench_cleanup; s3_cleanup; s3_release' EXIT

# smount URL MNT DATA [OPTIONS]: mount the bucket of this run's server as a
# user would (daemonized, credentials from the environment); bench_mount,
# but its start-up line ("s3: ... credentials from environment") is shown
# only when the mount fails.
smount() {
	local url=$1 mnt=$2 data=$3
	mkdir -p "$mnt"
	"$SNAPFS" -o "endpoint=$EP,region=us-east-1,addressing=path,data_dir=$data${4:+,$4}" \
		"$url" "$mnt" 2>"$BENCH_TMP/.mount" ||
		{ cat "$BENCH_TMP/.mount" >&2; bench_die "mounting $url on $mnt failed"; }
	SNAPFS_PID=$(bench_pid "$mnt") || bench_die "no snapfs daemon for $mnt"
	_bench_pids+=("$SNAPFS_PID")
}

# last_job MNT: set JOB to the newest job's id (the highest number).
last_job() {
	JOB=$(find "$1/jobs" -mindepth 1 -maxdepth 1 -name '[0-9]*' -printf '%f\n' | sort -n | tail -n 1)
	[ -n "$JOB" ] || { echo "no job in $1/jobs" >&2; return 1; }
}
# job_wait MNT: wait for the newest job of MNT to end; fail unless FINISHED.
job_wait() {
	local st
	last_job "$1" || return 1
	while :; do
		st=$(sed -n 's/^State: //p' "$1/jobs/$JOB/status")
		case $st in
		FINISHED) return 0 ;;
		CANCELLED) cat "$1/jobs/$JOB/status" >&2; return 1 ;;
		esac
		sleep 0.02
	done
}
# stmt MNT FILE TEXT: submit a statement; control/last_error on failure.
stmt() {
	echo "$3" >"$1/control/$2" || { cat "$1/control/last_error" >&2; return 1; }
}
# field MNT NAME: a field of job JOB's status.
field() { sed -n "s/^$2: //p" "$1/jobs/$JOB/status"; }

# restore_once MNT: restore the label into a new database r<RN>.
RN=0
restore_once() {
	RN=$((RN + 1))
	stmt "$1" restore "RESTORE SNAPSHOT r$RN.snap1 FROM demo PROPERTIES (\"backup_timestamp\" = \"$TS\", \"replication_num\" = \"1\")" &&
		job_wait "$1"
}
# backup_once MNT WORD: back database r<BN> up as label <WORD><BN>.
BN=0
backup_once() {
	BN=$((BN + 1))
	stmt "$1" backup "BACKUP SNAPSHOT r$BN.$2$BN TO demo" && job_wait "$1"
}
# upload_aws / upload_rclone DIR: every file PUT, always to the same
# prefix (the objects the first run made are overwritten: fewer objects
# to delete at the end, which is slow on Swift). --no-check-dest makes
# rclone send every file without looking at what is there, as a first
# upload into an empty prefix does (it still HEADs every object it sent).
upload_aws() { aws_ s3 cp --recursive --quiet "$1" "s3://$BUCKET/up-aws/"; }
upload_rclone() { rclone_ copy --fast-list --no-check-dest "$1" "bs3:$BUCKET/up-rclone/"; }

# row NAME SECONDS BYTES FILES
row() {
	awk -v n="$1" -v t="$2" -v b="$3" -v f="$4" -v r="$RUNS" 'BEGIN {
		printf "  %-50s %8.3f %8s %8.0f   %s\n", n, t,
			(b > 0 ? sprintf("%.1f", b / 1048576 / t) : "-"), f / t, r }'
}
head_row() { printf "  %-50s %8s %8s %8s   %s\n" "what" "median s" "MiB/s" "files/s" "runs (s)"; }
# ratio TEXT ALT_SECONDS SNAPFS_SECONDS: throughput snapfs / alternative
ratio() { printf "    %-56s %s\n" "$1" "$(div "$2" "$3")"; }

# download SHAPE: sync, rclone, read through a fresh mount, restores.
# Leaves the mount $BENCH_TMP/mnt-job, its cluster holding databases
# r1..r<BENCH_REPS> restored with the default options, for upload.
download() {
	local shape=$1 n=${NFILES[$1]} b=${BYTES[$1]} m=$BENCH_TMP/mnt-read
	local label="$BUCKET/$shape/$REPO/__ss_snap1/" th mt
	local t_sync t_rcl t_cp t_find t_rst
	local -A t_th
	TS=${TSOF[$shape]}
	echo
	echo "download, shape $shape: the snapshot's objects to local disk"
	head_row
	BEFORE="rm -rf '$COPY'"
	bench_time t_sync "aws_ s3 sync --quiet 's3://$label' '$COPY/'"
	row "aws s3 sync __ss_snap1/ (the alternative)" "$t_sync" "$b" "$n"
	bench_time t_rcl "rclone_ copy --fast-list 'bs3:$label' '$COPY/'"
	row "rclone copy --fast-list __ss_snap1/" "$t_rcl" "$b" "$n"
	BEFORE="rm -rf '$COPY' '$BENCH_TMP/data-read'; mkdir -p '$COPY'; smount 's3://$BUCKET/$shape' '$m' '$BENCH_TMP/data-read'"
	AFTER="bench_umount '$m'"
	bench_time t_cp "cp -r '$m/snapshots/snap1/$TS/db1' '$COPY/'"
	row "cp -r MNT/snapshots/snap1/<ts>/db1, fresh mount" "$t_cp" "$b" "$n"
	bench_time t_find "find '$m/snapshots/snap1/$TS/db1' -type f"
	row "  its listing alone: find, fresh mount" "$t_find" 0 "$n"
	BEFORE=
	AFTER=
	rm -rf "$COPY" "$BENCH_TMP/data-read"
	mt=$BENCH_TMP/mnt-job
	smount "s3://$BUCKET/$shape" "$mt" "$BENCH_TMP/data-job"
	RN=0
	bench_time t_rst "restore_once '$mt'"
	row "RESTORE, download_threads=4 (default)" "$t_rst" "$b" "$n"
	[ "$(field "$mt" FilesDownloaded)" = "$n" ] ||
		echo "  note: the job says FilesDownloaded $(field "$mt" FilesDownloaded), expected $n"
	for th in $THREADS; do
		smount "s3://$BUCKET/$shape" "$m" "$BENCH_TMP/data-th" "download_threads=$th"
		RN=0
		bench_time "t_th[$th]" "restore_once '$m'"
		row "RESTORE, download_threads=$th" "${t_th[$th]}" "$b" "$n"
		bench_umount "$m"
		rm -rf "$BENCH_TMP/data-th"
	done
	RN=$BENCH_REPS
	echo "  ratios (download, $shape):"
	ratio "read: cp -r from mount / aws s3 sync" "$t_sync" "$t_cp"
	ratio "read: cp -r from mount / rclone copy" "$t_rcl" "$t_cp"
	ratio "read: cp -r minus listing / aws s3 sync (approx.)" "$t_sync" "$(sub "$t_cp" "$t_find")"
	ratio "RESTORE / aws s3 sync" "$t_sync" "$t_rst"
	ratio "RESTORE / rclone copy" "$t_rcl" "$t_rst"
	for th in $THREADS; do
		ratio "RESTORE download_threads=$th / aws s3 sync" "$t_sync" "${t_th[$th]}"
	done
	R_READ_AWS[$SRV.$shape]=$(div "$t_sync" "$t_cp")
	R_READ_RCL[$SRV.$shape]=$(div "$t_rcl" "$t_cp")
	R_RESTORE[$SRV.$shape]=$(div "$t_sync" "$t_rst")
	R_RESTORE_RCL[$SRV.$shape]=$(div "$t_rcl" "$t_rst")
}

# upload SHAPE: on the mount and cluster download left.
upload() {
	local shape=$1 n=${NFILES[$1]} b=${BYTES[$1]} mt=$BENCH_TMP/mnt-job
	local src=$BENCH_TMP/$1/$REPO/__ss_snap1/__ss_content
	local t_aws t_rcl t_bk t_bk2
	echo
	echo "upload, shape $shape: the data files into the bucket"
	head_row
	bench_time t_aws "upload_aws '$src'"
	row "aws s3 cp --recursive (the alternative)" "$t_aws" "$b" "$n"
	bench_time t_rcl "upload_rclone '$src'"
	row "rclone copy --fast-list --no-check-dest" "$t_rcl" "$b" "$n"
	BN=0
	bench_time t_bk "backup_once '$mt' full"
	row "BACKUP of a restored database (new label)" "$t_bk" "$b" "$n"
	echo "    the last job: FilesUploaded $(field "$mt" FilesUploaded), FilesCopied $(field "$mt" FilesCopied)"
	BN=0
	bench_time t_bk2 "backup_once '$mt' again"
	row "BACKUP again, tables unchanged (CopyObject)" "$t_bk2" "$b" "$n"
	echo "    the last job: FilesUploaded $(field "$mt" FilesUploaded), FilesCopied $(field "$mt" FilesCopied)"
	echo "  ratios (upload, $shape):"
	ratio "BACKUP / aws s3 cp --recursive" "$t_aws" "$t_bk"
	ratio "BACKUP / rclone copy" "$t_rcl" "$t_bk"
	ratio "second BACKUP (CopyObject) / first BACKUP" "$t_bk" "$t_bk2"
	R_BACKUP_AWS[$SRV.$shape]=$(div "$t_aws" "$t_bk")
	R_BACKUP_RCL[$SRV.$shape]=$(div "$t_rcl" "$t_bk")
	R_BACKUP2[$SRV.$shape]=$(div "$t_bk" "$t_bk2")
}

# Request counts: strace the client (the command, or -p the daemon) and
# count the HTTP request lines it writes, listings and multipart calls
# told apart. A CopyObject is a PUT (its header is past what strace shows).
count_file() {
	grep -oE '"(GET|HEAD|PUT|POST|DELETE) /[^ "]*' "$1" |
		awk '{ m = substr($1, 2); u = $2
		       if (u ~ /list-type=|[?&](delimiter|prefix|marker)=/) m = "LIST"
		       else if (u ~ /uploads=|uploads$|uploadId=/) m = m "-part"
		       c[m]++; n++ }
		     END { for (k in c) printf "%s %d, ", k, c[k]; printf "total %d\n", n }' |
		sed 's/, total/; total/'
}
# count_cmd ARGV...: run the command under strace.
count_cmd() {
	local f=$BENCH_TMP/.strace
	strace -f -qq -e trace=write,writev,sendto,sendmsg -s 256 -o "$f" \
		"$@" >/dev/null 2>"$BENCH_TMP/.err" ||
		{ head -c 2000 "$BENCH_TMP/.err" >&2; bench_die "command failed: $*"; }
	count_file "$f"
}
# count_pid MNT CODE: strace the daemon of MNT while the shell code runs.
count_pid() {
	local f=$BENCH_TMP/.strace sp pid
	pid=$(bench_pid "$1") || bench_die "no snapfs daemon for $1"
	strace -f -qq -e trace=write,writev,sendto,sendmsg -s 256 -o "$f" -p "$pid" 2>/dev/null &
	sp=$!
	sleep 0.5 # attached to every thread
	eval "$2" >/dev/null 2>"$BENCH_TMP/.err" ||
		{ kill "$sp"; head -c 2000 "$BENCH_TMP/.err" >&2; bench_die "command failed: $2"; }
	sleep 0.3
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	count_file "$f"
}
# req TEXT COUNT_CMD ARGS...: one row (no subshell: the jobs set JOB).
req() {
	local text=$1
	shift
	"$@" >"$BENCH_TMP/.count"
	printf "  %-48s %s\n" "$text" "$(cat "$BENCH_TMP/.count")"
}
requests() {
	local shape=$1 m=$BENCH_TMP/mnt-read mt=$BENCH_TMP/mnt-job
	local label="$BUCKET/$shape/$REPO/__ss_snap1/" src=$BENCH_TMP/$1/$REPO/__ss_snap1/__ss_content
	TS=${TSOF[$shape]}
	echo
	echo "HTTP requests, shape $shape (${NFILES[$shape]} data files), one untimed run each (strace):"
	rm -rf "$COPY"
	req "aws s3 sync __ss_snap1/" count_cmd "$AWS_BIN" --endpoint-url "$EP" s3 sync --quiet "s3://$label" "$COPY/"
	rm -rf "$COPY"
	req "rclone copy --fast-list __ss_snap1/" count_cmd env -u AWS_CA_BUNDLE rclone copy --fast-list "bs3:$label" "$COPY/"
	rm -rf "$COPY" "$BENCH_TMP/data-read"
	mkdir -p "$COPY"
	smount "s3://$BUCKET/$shape" "$m" "$BENCH_TMP/data-read"
	req "snapfs: fresh mount, find (listing)" count_pid "$m" "find '$m/snapshots/snap1/$TS/db1' -type f"
	req "snapfs: then cp -r (reads)" count_pid "$m" "cp -r '$m/snapshots/snap1/$TS/db1' '$COPY/'"
	bench_umount "$m"
	rm -rf "$COPY" "$BENCH_TMP/data-read"
	RN=100
	req "snapfs: RESTORE" count_pid "$mt" "restore_once '$mt'"
	req "aws s3 cp --recursive (upload)" count_cmd "$AWS_BIN" --endpoint-url "$EP" s3 cp --recursive --quiet "$src" "s3://$BUCKET/up-aws/"
	req "rclone copy --fast-list --no-check-dest (upload)" count_cmd env -u AWS_CA_BUNDLE rclone copy --fast-list --no-check-dest "$src" "bs3:$BUCKET/up-rclone/"
	BN=100
	req "snapfs: BACKUP (new label)" count_pid "$mt" "backup_once '$mt' req"
	echo "    (the job: FilesUploaded $(field "$mt" FilesUploaded), FilesCopied $(field "$mt" FilesCopied))"
	BN=100
	req "snapfs: BACKUP again (unchanged)" count_pid "$mt" "backup_once '$mt' reqagain"
	echo "    (the job: FilesUploaded $(field "$mt" FilesUploaded), FilesCopied $(field "$mt" FilesCopied))"
}

bench_header "s3:// mount vs awscli and rclone on the same objects" |
	sed "/^cache:/c\\cache: $(if [ "$BENCH_CACHE" = cold ]; then
		echo "cold: sync + drop_caches before every timed run"
	else
		echo "the objects are warm on the server (just uploaded); no untimed run first"
	fi); $BENCH_REPS timed runs, median reported"
echo "servers: $SERVERS; $("$AWS_BIN" --version 2>&1 | cut -d' ' -f1); $(rclone version 2>/dev/null | head -n 1)"
echo "every run starts from nothing on the client: an empty directory, a fresh mount, a new database or label"
echo "ratios: throughput snapfs / alternative (1.00 = as fast, 0.50 = half as fast, 2.00 = twice as fast)"

# The sample repositories, made once and uploaded to every server.
REPO=__palo_repository_demo
COPY=$BENCH_TMP/copy
declare -A NFILES BYTES TSOF
echo
for shape in $SHAPES; do
	case $shape in
	large) mkrepo "$BENCH_TMP/$shape" --labels 1 --total-tablets "$LARGE_TABLETS" --file-size "$LARGE_SIZE" ;;
	small) mkrepo "$BENCH_TMP/$shape" --labels 1 --total-tablets "$SMALL_TABLETS" --file-size "$SMALL_SIZE" ;;
	*) bench_die "unknown shape $shape (large, small)" ;;
	esac
	# Data files only (no info/meta): what cp -r and the upload move.
	read -r "NFILES[$shape]" "BYTES[$shape]" < <(awk -F'\t' '$1 !~ /\/(info|meta)$/ { n++; b += $2 }
		END { print n, b }' "$BENCH_TMP/$shape/manifest.tsv")
	TSOF[$shape]=$(awk -F'\t' 'NR == 1 { split($1, p, "/"); print p[2] }' "$BENCH_TMP/$shape/manifest.tsv")
	printf "shape %s: %d data files, %.1f MiB (%d tablets, --file-size %d)\n" "$shape" \
		"${NFILES[$shape]}" "$(awk -v b="${BYTES[$shape]}" 'BEGIN { print b / 1048576 }')" \
		"$(if [ "$shape" = large ]; then echo "$LARGE_TABLETS"; else echo "$SMALL_TABLETS"; fi)" \
		"$(if [ "$shape" = large ]; then echo "$LARGE_SIZE"; else echo "$SMALL_SIZE"; fi)"
done

s3_hold
# shellcheck disable=SC2034 # read through srow's nameref
declare -A R_READ_AWS R_READ_RCL R_RESTORE R_RESTORE_RCL R_BACKUP_AWS R_BACKUP_RCL R_BACKUP2
DONE=()
for SRV in $SERVERS; do
	server "$SRV"
	echo
	echo "=== server $SRV ($EP, access key $KEY)"
	if ! answers "$EP"; then
		echo "not answering: skipped (start it with tests/servers/s3-servers.sh start)"
		continue
	fi
	BUCKET=snapfs-bench-$(date +%s)-$$
	s=$(now)
	aws_ s3 mb "s3://$BUCKET" >/dev/null || bench_die "aws s3 mb s3://$BUCKET on $SRV failed"
	_buckets+=("$SRV $BUCKET")
	for shape in $SHAPES; do
		aws_ s3 cp --recursive --quiet "$BENCH_TMP/$shape/$REPO" "s3://$BUCKET/$shape/$REPO" ||
			bench_die "uploading the $shape repository to $SRV failed"
	done
	echo "bucket $BUCKET: repositories uploaded with aws s3 cp in $(printf %.1f "$(sub "$(now)" "$s")") s"
	for shape in $SHAPES; do
		s=$(now)
		download "$shape"
		upload "$shape"
		[ "$REQUESTS" = 1 ] && requests "$shape"
		bench_umount "$BENCH_TMP/mnt-job"
		rm -rf "$BENCH_TMP/data-job"
		echo "($SRV, shape $shape: $(printf %.0f "$(sub "$(now)" "$s")") s)"
	done
	s=$(now)
	drop_bucket "$SRV" "$BUCKET"
	unset '_buckets[-1]'
	echo "bucket deleted in $(printf %.1f "$(sub "$(now)" "$s")") s"
	DONE+=("$SRV")
done

echo
echo "=== summary: throughput ratios snapfs / alternative, medians of $BENCH_REPS"
srow() {
	local -n a=$2
	local sv sh
	printf "  %-40s" "$1"
	for sv in "${DONE[@]}"; do
		for sh in $SHAPES; do
			printf " %14s" "${a[$sv.$sh]:--}"
		done
	done
	echo
}
printf "  %-40s" ""
for sv in "${DONE[@]}"; do
	for sh in $SHAPES; do
		printf " %14s" "$sv $sh"
	done
done
echo
srow "read: cp -r from mount / aws s3 sync" R_READ_AWS
srow "read: cp -r from mount / rclone copy" R_READ_RCL
srow "RESTORE / aws s3 sync" R_RESTORE
srow "RESTORE / rclone copy" R_RESTORE_RCL
srow "BACKUP / aws s3 cp --recursive" R_BACKUP_AWS
srow "BACKUP / rclone copy" R_BACKUP_RCL
srow "second BACKUP (CopyObject) / first" R_BACKUP2
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
