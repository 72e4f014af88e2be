#!/bin/bash
# Credentials: a wrong secret (Swift checks SigV4 signatures) or a wrong
# access key (s3rver 3.7.1 checks only the key) fails the mount with a clear
# message naming HTTP 403 and the S3 error code, never the secret; a
# missing bucket and missing credentials are named too; credentials from a
# password file (mode 600 only) and from a profile in a credentials file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
require_fuse
s3_require
PER=16
s3_plan $PER

R=$TEST_TMP/repo
mkrepo --labels 1 --tables 1 --partitions 1 --rollups 0 --buckets 1 "$R" >/dev/null
BAD_SECRET=Wr0ngSecret-xyzzy-4711
mkdir -p "$TEST_TMP/home"

# try_mount ERRFILE URL [args]: snapfs in the foreground, as a user would
# see it; its exit status, stderr to ERRFILE. A mount that did happen is
# undone so that the script goes on.
try_mount() {
	local err=$1 url=$2 rc
	shift 2
	mkdir -p "$TEST_TMP/m"
	timeout 30 "$SNAPFS" -f -o "$(s3_opts)" "$@" "$url" "$TEST_TMP/m" 2>"$err" </dev/null &
	local pid=$!
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		mountpoint -q "$TEST_TMP/m" && { fusermount3 -u "$TEST_TMP/m"; break; }
		sleep 0.05
	done
	wait "$pid"
	rc=$?
	return $rc
}
# nocreds CMD...: CMD (a program or a function) with no credentials in the
# environment or $HOME; a credentials file only if CREDS_FILE names one.
nocreds() {
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
		export HOME=$TEST_TMP/home AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
		export AWS_SHARED_CREDENTIALS_FILE=${CREDS_FILE:-$TEST_TMP/home/none}
		"$@"
	)
}
# exited_1_3 RC: snapfs's own failure statuses (usage, repository, mount).
exited_1_3() { [ "$1" -ge 1 ] && [ "$1" -le 3 ]; }
# like TITLE FILE ERE: FILE matches the extended regex.
like() {
	if grep -qE -- "$3" "$2"; then pass "$1"; else fail "$1"; diag "no /$3/ in: $(head -c 1500 "$2")"; fi
}

auth() {
	local srv=$1 b e=$TEST_TMP/err-$1 rc want_code key what M=$TEST_TMP/mnt-$1
	s3_use "$srv"
	b=$(s3_bucket)
	ok "$srv: a repository uploaded with awscli" s3_upload_repo "$R" "$b" backups
	if [ "$srv" = swift ]; then
		# Swift verifies the signature: the right key, a wrong secret.
		key=$S3_KEY want_code=SignatureDoesNotMatch what=secret
	else
		# s3rver 3.7.1 accepts any secret; it rejects an unknown key.
		key=NOSUCHKEY4711 want_code=InvalidAccessKeyId what="access key"
	fi
	S3_KEY=$key S3_SECRET=$BAD_SECRET s3_creds try_mount "$e" "s3://$b/backups"
	rc=$?
	ok "$srv: with a wrong $what the mount fails (exit $rc)" exited_1_3 "$rc"
	fails "$srv: and nothing is mounted" mountpoint -q "$TEST_TMP/m"
	like "$srv: the message names HTTP 403 and $want_code" "$e" "403.*$want_code|$want_code.*403"
	like "$srv: it says that authentication failed" "$e" "[Aa]uthenticat|[Cc]redential|[Aa]ccess [Dd]enied"
	fails "$srv: it does not contain the secret" grep -q -- "$BAD_SECRET" "$e"

	s3_creds try_mount "$e" "s3://no-such-bucket-$b/backups"
	rc=$?
	ok "$srv: a missing bucket fails the mount (exit $rc)" exited_1_3 "$rc"
	like "$srv: and says so (404 NoSuchBucket)" "$e" "404.*NoSuchBucket|NoSuchBucket.*404|[Nn]o such bucket"

	nocreds try_mount "$e" "s3://$b/backups"
	rc=$?
	ok "$srv: no credentials anywhere: the mount fails (exit $rc)" exited_1_3 "$rc"
	like "$srv: and says that there are none" "$e" "[Nn]o (S3 )?credentials"

	# s3rver takes any secret: give it distinctive ones, to look for them.
	[ "$srv" = s3rver ] && S3_SECRET=Passwd-File-Secret-4711
	# s3fs password file, bucket form (Swift's key has a colon itself).
	printf '# test\n%s:%s:%s\n' "$b" "$S3_KEY" "$S3_SECRET" >"$TEST_TMP/passwd-$srv"
	chmod 644 "$TEST_TMP/passwd-$srv"
	nocreds try_mount "$e" "s3://$b/backups" -o passwd_file="$TEST_TMP/passwd-$srv"
	rc=$?
	if exited_1_3 "$rc" && grep -q "passwd-$srv" "$e" && ! grep -q -- "$S3_SECRET" "$e"; then
		pass "$srv: a password file others can read is refused, by name"
	else
		fail "$srv: a password file others can read is refused, by name"
		diag "exit $rc: $(cat "$e")"
	fi
	chmod 600 "$TEST_TMP/passwd-$srv"
	ok "$srv: mount with passwd_file (mode 600)" \
		nocreds mount_snapfs "s3://$b/backups" "$M" -o "$(s3_opts)",passwd_file="$TEST_TMP/passwd-$srv"
	is "$srv: and browse it" "$(ls "$M/snapshots" 2>&1)" snap1
	s3_umount "$M"

	[ "$srv" = s3rver ] && S3_SECRET=Profile-Secret-4711
	printf '[other]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[snapfs-test]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$S3_KEY" "$S3_SECRET" >"$TEST_TMP/credentials-$srv"
	CREDS_FILE=$TEST_TMP/credentials-$srv ok "$srv: mount with profile= from AWS_SHARED_CREDENTIALS_FILE" \
		nocreds mount_snapfs "s3://$b/backups" "$M" -o "$(s3_opts)",profile=snapfs-test
	is "$srv: and browse it" "$(ls "$M/snapshots" 2>&1)" snap1
	s3_umount "$M"
	fails "$srv: no secret is in snapfs's log" grep -qF -e "$BAD_SECRET" -e "$S3_SECRET" \
		-e Passwd-File-Secret-4711 "$TEST_TMP/snapfs.log"
}

s3_each $PER auth
s3_log_tail
done_testing
