#!/bin/bash
# HTTPS and virtual-hosted addressing, against an s3rver of this test's own
# that serves TLS with a self-signed certificate (for 127.0.0.1, localhost
# and *.s3.localhost) and takes buckets from "<bucket>.s3.localhost" host
# names (--service-endpoint localhost; curl resolves *.localhost itself):
# certificates are checked by default (the mount fails and says why), -o
# ca_file= trusts a private CA, -o no_check_certificate skips the check;
# addressing=virtual puts the bucket in the host name, auto picks path
# style for an IP endpoint. The repository is uploaded by awscli.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
require_fuse
NPM=${SNAPFS_S3_NPM:-/var/cache/snapfs-test/npm}
S3RVER=$NPM/s3rver-3.7.1/node_modules/.bin/s3rver
[ -x "$S3RVER" ] || plan_skip "s3rver not installed (tests/servers/s3-servers.sh install)"
require_prog openssl || plan_skip "openssl not found"
require_prog node || plan_skip "node not found"
plan 13

PORT=$((20000 + $$ % 20000))
C=$TEST_TMP/tls
mkdir -p "$C" "$TEST_TMP/s3d"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,DNS:*.s3.localhost,IP:127.0.0.1" \
	-keyout "$C/key.pem" -out "$C/cert.pem" >/dev/null 2>&1
NODE_OPTIONS=--openssl-legacy-provider setsid "$S3RVER" -d "$TEST_TMP/s3d" -a 127.0.0.1 \
	-p "$PORT" -s --service-endpoint localhost \
	--key "$C/key.pem" --cert "$C/cert.pem" >"$TEST_TMP/s3rver.log" 2>&1 </dev/null &
SPID=$!
at_exit "kill $SPID"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

KEY=S3RVER
aws() {
	AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$KEY AWS_DEFAULT_REGION=us-east-1 \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		/usr/bin/aws --endpoint-url "https://127.0.0.1:$PORT" --ca-bundle "$C/cert.pem" "$@"
}
R=$TEST_TMP/repo
mkrepo --labels 2 --tables 1 --partitions 1 --rollups 0 --buckets 1 "$R" >/dev/null
ok "awscli over HTTPS (its CA bundle: our certificate) uploads the repository" \
	bash -c "$(declare -f aws); KEY=$KEY PORT=$PORT C=$C; aws s3 mb s3://tlsbkt >/dev/null &&
		aws s3 cp --recursive --only-show-errors '$R/__palo_repository_demo' s3://tlsbkt/bk/__palo_repository_demo"

# mnt NAME OPTS: mount s3://tlsbkt/bk with the S3RVER credentials.
mnt() {
	AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$KEY AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		mount_snapfs s3://tlsbkt/bk "$TEST_TMP/$1" -o "region=us-east-1,retries=0,$2,data_dir=$TEST_TMP/d-$1"
}
want=$(ls "$R/__palo_repository_demo" | sed -n 's/^__ss_//p' | LC_ALL=C sort | tr '\n' ' ')

mkdir -p "$TEST_TMP/m0"
out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$KEY AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	"$SNAPFS" -f -o "endpoint=https://127.0.0.1:$PORT,retries=0" s3://tlsbkt/bk "$TEST_TMP/m0" 2>&1)
rc=$?
is "an untrusted certificate: the mount fails with status 2" "$rc" 2
case $out in
*[Cc]ertificate*) pass "and the message says it is the certificate" ;;
*) fail "and the message says it is the certificate"; diag "$out" ;;
esac
out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$KEY AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	"$SNAPFS" -f -o "endpoint=https://127.0.0.1:$PORT,ca_file=$TEST_TMP/nope.pem" s3://tlsbkt/bk "$TEST_TMP/m0" 2>&1)
case "$?:$out" in
2:*nope.pem*) pass "a missing ca_file is named" ;;
*) fail "a missing ca_file is named"; diag "$out" ;;
esac

ok "ca_file= with our certificate: the mount works" mnt m1 "endpoint=https://127.0.0.1:$PORT,ca_file=$C/cert.pem"
is "and lists the labels" "$(ls "$TEST_TMP/m1/snapshots" 2>&1 | tr '\n' ' ')" "$want"
ok "no_check_certificate: the mount works without the CA" mnt m2 "endpoint=https://127.0.0.1:$PORT,no_check_certificate"
f=$(find "$TEST_TMP/m2/snapshots/snap1/latest/" -name '*.dat' | head -1)
is "and a file reads back with its MD5 (verified read)" "$(md5sum <"$f" | cut -c1-32)" \
	"$(getfattr --only-values -n user.snapfs.md5 "$f" 2>/dev/null)"
ok "addressing=virtual (bucket in the host name), verified TLS" \
	mnt m3 "endpoint=https://s3.localhost:$PORT,addressing=virtual,ca_file=$C/cert.pem"
is "the virtual-hosted mount lists the labels" "$(ls "$TEST_TMP/m3/snapshots" 2>&1 | tr '\n' ' ')" "$want"
grep -q "via https://tlsbkt.s3.localhost:$PORT" "$TEST_TMP/snapfs.log"
is "the log shows the virtual-hosted URL" "$?" 0
ok "addressing=auto with an IP endpoint (path style)" mnt m4 "endpoint=https://127.0.0.1:$PORT,ca_file=$C/cert.pem"
grep -q "via https://127.0.0.1:$PORT/tlsbkt" "$TEST_TMP/snapfs.log"
is "auto chose path style for the IP" "$?" 0
done_testing
