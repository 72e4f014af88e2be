# tests/sh/s3lib.sh - sourced by the S3 tests, after lib.sh.
#
#   s3_require                  skip unless the S3 tools are installed; start
#                               the test servers unless they already run
#   s3_plan PER                 plan PER test points for each server
#   each() {                    every S3 test runs against each server:
#     s3_use "$1"               sets S3_SERVER S3_ENDPOINT S3_KEY S3_SECRET
#     b=$(s3_bucket)            a new, empty bucket with a unique name
#     s3_upload_repo OUT $b P   awscli uploads an snapfs-mkrepo output
#     s3_list_keys $b PREFIX    "key size" of the objects below PREFIX/
#     s3_aws s3 cp ...          /usr/bin/aws against the current server
#     s3_rclone lsf s3t:$b      rclone against it (remote "s3t:")
#     s3_mount s3://$b/p MNT [-o more]   snapfs with endpoint, region,
#                               path addressing and the server's keys
#   }
#   s3_each PER each            for swift, then s3rver
#
# SNAPFS_S3_SERVERS="swift" (or "s3rver") runs the tests on one only.
# The servers come from tests/servers/s3-servers.sh. When s3_require had to
# start them, the last test using them stops them at its exit (tests run in
# parallel under make -j; a lock file keeps count); when they were already
# running (contrib/setup test starts them first) they are left alone.

S3_SERVERS=${SNAPFS_S3_SERVERS:-swift s3rver}
# S3RVER_QUIRKS (s3rver 3.7.1, what the tests work around):
#  - a wrong secret is accepted (SigV4 is not verified): use a wrong key;
#  - a delimited listing leaves out a common prefix that holds no object of
#    its own, only deeper prefixes (its directory walk prunes them): e.g.
#    .../__ss_snap1/__ss_content/ is missing under .../__ss_snap1/. rclone
#    runs with --fast-list (one listing without delimiter) for that reason;
#  - a multipart upload's ETag is the whole object's MD5, with no "-N".
S3_SERVERS_SH=$top_srcdir/tests/servers/s3-servers.sh
S3_STATE=${SNAPFS_S3_STATE:-/tmp/snapfs-s3srv}
S3_AWS=/usr/bin/aws # not the pyenv shim that is first on PATH
S3_REGION=us-east-1

# s3_require: plan_skip with the reason if anything is missing.
s3_require() {
	local p missing=()
	for p in "$S3_AWS" rclone swift-proxy-server swift-ring-builder memcached node flock setsid curl; do
		command -v "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] ||
		plan_skip "S3 test tools missing: ${missing[*]} (contrib/setup test installs them)"
	[ -x "$S3_SERVERS_SH" ] || plan_skip "$S3_SERVERS_SH not found"
	# Serialise starts; hold a shared lock on .users for the whole test.
	exec {_s3_lock_fd}>"$S3_STATE.lock"
	exec {_s3_users_fd}>"$S3_STATE.users"
	flock "$_s3_lock_fd"
	flock -s "$_s3_users_fd"
	if ! "$S3_SERVERS_SH" status >/dev/null 2>&1; then
		# The servers must not inherit the lock files.
		if ! "$S3_SERVERS_SH" start >"$TEST_TMP/s3-servers.log" 2>&1 \
			{_s3_lock_fd}>&- {_s3_users_fd}>&-; then
			echo "Bail out! the S3 test servers did not start: $(tail -3 "$TEST_TMP/s3-servers.log" | tr '\n' ' ')"
			flock -u "$_s3_lock_fd"
			exit 1
		fi
		touch "$S3_STATE/.autostarted"
	fi
	flock -u "$_s3_lock_fd"
	at_exit "_s3_release"
}

# At exit: if the servers were started by a test and no other test holds
# them, stop them. A server this test left stopped (SIGSTOP) is continued.
_s3_release() {
	_s3_cont_all
	flock "$_s3_lock_fd"
	flock -u "$_s3_users_fd"
	if [ -e "$S3_STATE/.autostarted" ] && flock -n -x "$_s3_users_fd"; then
		"$S3_SERVERS_SH" stop >"$TEST_TMP/s3-servers-stop.log" 2>&1 {_s3_lock_fd}>&- {_s3_users_fd}>&-
		rm -f "$S3_STATE/.autostarted"
		flock -u "$_s3_users_fd"
	fi
	flock -u "$_s3_lock_fd"
}

# s3_use swift|s3rver [stoppable]: the server the helpers below talk to.
# "stoppable" picks its second front end (Swift's proxy on :8081, s3rver
# on :4569), which a test may SIGSTOP without stalling the other tests.
s3_use() {
	S3_SERVER=$1
	case $1${2:+-$2} in
	swift) S3_ENDPOINT=http://127.0.0.1:8080 S3_KEY=test:tester S3_SECRET=testing S3_PROC=swift-proxy ;;
	swift-stoppable) S3_ENDPOINT=http://127.0.0.1:8081 S3_KEY=test:tester S3_SECRET=testing S3_PROC=swift-proxy-b ;;
	s3rver) S3_ENDPOINT=http://127.0.0.1:4568 S3_KEY=S3RVER S3_SECRET=S3RVER S3_PROC=s3rver ;;
	s3rver-stoppable) S3_ENDPOINT=http://127.0.0.1:4569 S3_KEY=S3RVER S3_SECRET=S3RVER S3_PROC=s3rver-b ;;
	*) echo "s3_use: unknown server $*" >&2; return 1 ;;
	esac
}

# s3_pid: the pid of the current server's process that answers S3 (Swift's
# proxy, s3rver's node), for s3_sigstop (use a stoppable one).
s3_pid() { cat "$S3_STATE/run/$S3_PROC.pid"; }

# s3_sigstop PID / s3_sigcont PID: stop and continue a server; whatever a
# test left stopped is continued at its exit (and only that: the other
# tests' servers are not touched).
_s3_stopped=()
s3_sigstop() { _s3_stopped+=("$1"); kill -STOP "$1"; }
s3_sigcont() { kill -CONT "$1"; }
_s3_cont_all() {
	local p
	for p in "${_s3_stopped[@]}"; do
		kill -CONT "$p" 2>/dev/null
	done
	return 0
}

# s3_env CMD...: CMD with the current server's credentials and nothing from
# the user's AWS configuration.
s3_env() {
	env -u AWS_PROFILE -u AWS_SESSION_TOKEN \
		AWS_ACCESS_KEY_ID="$S3_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET" \
		AWS_DEFAULT_REGION="$S3_REGION" AWS_REGION="$S3_REGION" \
		AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null \
		AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "$@"
}

# s3_aws ARGS...: awscli v2 (Debian's) against the current server.
s3_aws() { s3_env "$S3_AWS" --endpoint-url "$S3_ENDPOINT" "$@"; }

# s3_rclone ARGS...: rclone with the remote "s3t:" for the current server,
# configured through the environment only. rclone 1.60 fails every call
# when AWS_CA_BUNDLE is set (as it is on this machine).
s3_rclone() {
	env -u AWS_CA_BUNDLE RCLONE_CONFIG=/dev/null \
		RCLONE_CONFIG_S3T_TYPE=s3 RCLONE_CONFIG_S3T_PROVIDER=Other \
		RCLONE_CONFIG_S3T_ACCESS_KEY_ID="$S3_KEY" \
		RCLONE_CONFIG_S3T_SECRET_ACCESS_KEY="$S3_SECRET" \
		RCLONE_CONFIG_S3T_ENDPOINT="$S3_ENDPOINT" \
		RCLONE_CONFIG_S3T_REGION="$S3_REGION" \
		RCLONE_CONFIG_S3T_FORCE_PATH_STYLE=true \
		rclone "$@"
}

# s3_bucket: create a new empty bucket on the current server; prints its
# name. (rclone: it starts in a tenth of the time awscli takes.)
_s3_nbucket=0
s3_bucket() {
	local name
	_s3_nbucket=$((_s3_nbucket + 1))
	name=$(printf "%s-%s-%s-%s" "$TEST_NAME" "$S3_SERVER" "$$" "$_s3_nbucket$RANDOM" |
		tr 'A-Z_.' 'a-z--' | cut -c1-63)
	s3_rclone mkdir "s3t:$name" >"$TEST_TMP/.s3mb" 2>&1 ||
		{ cat "$TEST_TMP/.s3mb" >&2; return 1; }
	echo "$name"
}

# s3_upload_repo OUTDIR BUCKET PREFIX [sync]: upload an snapfs-mkrepo
# output's repository directory (not the manifests) to s3://BUCKET/PREFIX/
# with awscli: "aws s3 cp --recursive", or "aws s3 sync" if the 4th
# argument is "sync".
s3_upload_repo() {
	local src=$1 b=$2 p=$3 how=${4:-cp} d
	for d in "$src"/__*_repository_*; do
		if [ "$how" = sync ]; then
			s3_aws s3 sync --only-show-errors "$d" "s3://$b/$p/${d##*/}" || return 1
		else
			s3_aws s3 cp --recursive --only-show-errors "$d" "s3://$b/$p/${d##*/}" || return 1
		fi
	done
}

# s3_opts [EXTRA]: the -o value every S3 mount needs, plus EXTRA.
s3_opts() {
	echo "endpoint=$S3_ENDPOINT,region=$S3_REGION,addressing=path${1:+,$1}"
}

# s3_mount URL MNT [snapfs args...]: mount_snapfs with the current server's
# credentials in snapfs's environment and the S3 options; more -o may follow.
s3_mount() {
	local url=$1 mnt=$2
	shift 2
	s3_creds mount_snapfs "$url" "$mnt" -o "$(s3_opts)" "$@"
}

# s3_creds CMD...: run CMD (a program or a function) with the current
# server's credentials in the environment of the programs it starts.
s3_creds() {
	AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET \
		AWS_DEFAULT_REGION=$S3_REGION AWS_EC2_METADATA_DISABLED=true \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		"$@"
}

# s3_list_keys BUCKET PREFIX: "key size" lines of every object below
# PREFIX/, key relative to it, sorted; by rclone, with one listing without
# delimiter (--fast-list: see S3RVER_QUIRKS).
s3_list_keys() {
	s3_rclone lsf -R --fast-list --files-only --format ps --separator ' ' \
		"s3t:$1/$2" 2>/dev/null | LC_ALL=C sort
}

# s3_aws_list_keys BUCKET PREFIX: the same, by awscli (ListObjectsV2).
s3_aws_list_keys() {
	s3_aws s3api list-objects-v2 --bucket "$1" --prefix "$2/" \
		--query 'Contents[].[Key,Size]' --output text |
		awk -F'\t' -v p="$2/" '$1 != "None" {print substr($1, length(p) + 1) " " $2}' |
		LC_ALL=C sort
}

# s3_check_md5_names DIR: every data object below DIR (name ending in
# .<32 hex>) has that MD5; prints the bad ones; fails if any, or if none.
s3_check_md5_names() {
	(cd "$1" && find . -type f | LC_ALL=C sort | {
		n=0 bad=0
		while IFS= read -r f; do
			[[ $f =~ \.[0-9a-f]{32}$ ]] || continue
			n=$((n + 1))
			[ "$(md5sum <"$f" | cut -c1-32)" = "${f##*.}" ] || { bad=$((bad + 1)); echo "bad md5: $f"; }
		done
		echo "$n objects with an MD5 in the name, $bad bad"
		[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
	})
}

# s3_each PER FUNC: run "FUNC SERVER" for every server in S3_SERVERS; each
# must emit PER test points (the plan is PER times the server count): the
# ones a FUNC that stopped early did not reach are reported as failures.
s3_each() {
	local per=$1 fn=$2 srv start
	for srv in $S3_SERVERS; do
		start=$_n
		"$fn" "$srv"
		while [ "$_n" -lt $((start + per)) ]; do fail "$srv: (not reached)"; done
		[ "$_n" -eq $((start + per)) ] || diag "$fn $srv: $((_n - start)) test points, not $per"
	done
}
s3_plan() { plan $(($1 * $(echo $S3_SERVERS | wc -w))); }

# s3_log_tail: the end of snapfs.log, as diagnostics, if anything failed.
s3_log_tail() {
	[ "$_failed" -gt 0 ] && [ -f "$TEST_TMP/snapfs.log" ] && diag "snapfs.log: $(tail -${1:-20} "$TEST_TMP/snapfs.log")"
	return 0
}

# ---- jobs (as in t3101/t3301) -------------------------------------------
# s3_last_job MNT, s3_state MNT ID, s3_wait MNT ID STATE... (prints the state
# reached, or the last one seen after about 60 s)
s3_last_job() { ls "$1/jobs" | grep -E "^[0-9]+$" | sort -n | tail -1; }
s3_state() { sed -n 's/^State: //p' "$1/jobs/$2/status" 2>/dev/null; }
s3_wait() {
	local m=$1 j=$2 i s w
	shift 2
	for i in $(seq 1 1200); do
		s=$(s3_state "$m" "$j")
		for w in "$@"; do [ "$s" = "$w" ] && { echo "$s"; return 0; }; done
		sleep 0.05
	done
	echo "${s:-none}"
}

# s3_umount MNT: unmount and wait for the daemon to go.
s3_umount() {
	fusermount3 -u "$1" 2>/dev/null || return 0
	for _ in $(seq 1 100); do pgrep -f "snapfs.* $1\$" >/dev/null || break; sleep 0.05; done
}

# s3_sums DIR: "md5  path" of every file below DIR, tablet ids and the
# .hdr's tablet-id name left out (restored tablets get new ids).
s3_sums() {
	(cd "$1" && find . -type f -exec md5sum {} + |
		sed -E 's#\./##; s#(^| )([^ ]*/)?[0-9]+/#\1\2#; s#[0-9]+\.hdr$#TABLET.hdr#' | LC_ALL=C sort)
}

# s3_local_cluster REPO DATA: restore db1 of REPO's snap1 (a file://
# repository) into the local cluster kept in DATA, through a mount of its
# own; so a test's cluster does not depend on the S3 backend.
s3_local_cluster() {
	local r=$1 d=$2 m=$TEST_TMP/local-mnt ts j st
	mount_snapfs "$r" "$m" -o data_dir="$d" || return 1
	ts=$(readlink "$m/snapshots/snap1/latest")
	echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$m/control/restore" || return 1
	j=$(s3_last_job "$m")
	st=$(s3_wait "$m" "$j" FINISHED CANCELLED)
	s3_umount "$m"
	[ "$st" = FINISHED ]
}
