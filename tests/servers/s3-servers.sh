#!/bin/bash
# tests/servers/s3-servers.sh - the two S3 servers the S3 tests run against,
# both on 127.0.0.1 (see shared/reference/test-servers.md, section 2):
#
#   swift   OpenStack Swift + s3api + tempauth on :8080 (with memcached on
#           :11211 and account/container/object servers on :6202/:6201/:6200)
#           access key test:tester, secret testing; verifies SigV4 signatures
#   s3rver  npm s3rver@3.7.1 on :4568, key S3RVER, secret S3RVER; checks the
#           access key but not the signature
#
# and a second front end of each, for tests that stop a server (SIGSTOP)
# without stalling the tests running beside them: another Swift proxy on
# :8081 (same storage, same buckets) and another s3rver on :4569 (its own
# data).
#
#   s3-servers.sh install   npm install s3rver into the cache (once)
#   s3-servers.sh start     start whatever is not running (no-op when all are)
#   s3-servers.sh stop      stop everything started here; safe when none runs
#   s3-servers.sh status    one line per process; exit 0 only if all are up
#
# Environment:
#   SNAPFS_S3_STATE  state directory: pids, logs, data (default /tmp/snapfs-s3srv)
#   SNAPFS_S3_NPM    npm packages, kept between runs (default
#                    /var/cache/snapfs-test/npm)
#
# Each process runs in a session of its own; stop signals the whole process
# group (children included), waits, and checks that no port is left open.
# stop does not ask who uses the servers: the S3 tests and benchmarks hold
# a shared flock on $SNAPFS_S3_STATE.users while they run (tests/sh/s3lib.sh),
# so by hand stop them only when "flock -n -x $SNAPFS_S3_STATE.users true"
# succeeds. A start after a stop begins from empty data.
set -euo pipefail

T=${SNAPFS_S3_STATE:-/tmp/snapfs-s3srv}
NPM=${SNAPFS_S3_NPM:-/var/cache/snapfs-test/npm}
S3RVER_VERSION=3.7.1
S3RVER_DIR=$NPM/s3rver-$S3RVER_VERSION
S3RVER_BIN=$S3RVER_DIR/node_modules/.bin/s3rver
SWIFT_PORT=8080
SWIFT_B_PORT=8081
S3RVER_PORT=4568
S3RVER_B_PORT=4569
MEMCACHED_PORT=11211
# name:port, in start order (memcached and the storage servers before the proxy)
SERVICES=(memcached:$MEMCACHED_PORT swift-account:6202 swift-container:6201
	swift-object:6200 swift-proxy:$SWIFT_PORT swift-proxy-b:$SWIFT_B_PORT
	s3rver:$S3RVER_PORT s3rver-b:$S3RVER_B_PORT)

say() { echo "s3-servers: $*"; }
die() { echo "s3-servers: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
	local i
	for i in $(seq 1 150); do
		port_open "$1" && return 0
		sleep 0.1
	done
	return 1
}

pid_of() { cat "$T/run/$1.pid" 2>/dev/null || true; }
alive() {
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A killed server whose parent is gone may linger as a zombie.
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

install() {
	if [ -x "$S3RVER_BIN" ]; then
		return 0
	fi
	command -v npm >/dev/null || die "npm not found (install nodejs)"
	say "npm install s3rver@$S3RVER_VERSION into $S3RVER_DIR"
	mkdir -p "$S3RVER_DIR"
	# Its own prefix: with another package in the same prefix npm made no
	# .bin/s3rver link.
	npm install --silent --no-audit --no-fund --no-update-notifier \
		--cache "$NPM/.npm-cache" --prefix "$S3RVER_DIR" \
		"s3rver@$S3RVER_VERSION" >"$NPM/install.log" 2>&1 ||
		{ cat "$NPM/install.log" >&2; die "npm install s3rver failed"; }
	[ -x "$S3RVER_BIN" ] || die "npm install made no $S3RVER_BIN"
}

swift_config() {
	local S=$T/swift n p t
	mkdir -p "$S/etc" "$S/node/d1"
	for t in account:6202 container:6201 object:6200; do
		n=${t%:*} p=${t#*:}
		swift-ring-builder "$S/etc/$n.builder" create 6 1 1 >/dev/null
		swift-ring-builder "$S/etc/$n.builder" add "r1z1-127.0.0.1:$p/d1" 100 >/dev/null
		swift-ring-builder "$S/etc/$n.builder" rebalance >/dev/null || true
		printf '[DEFAULT]\ndevices = %s\nmount_check = false\ndisable_fallocate = true\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 0\nuser = root\nswift_dir = %s\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n' \
			"$S/node" "$p" "$S/etc" "$n" "$n" "$n" >"$S/etc/$n-server.conf"
	done
	cat >"$S/etc/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $SWIFT_PORT
workers = 0
user = root
swift_dir = $S/etc
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
CONF
	sed "s/^bind_port = .*/bind_port = $SWIFT_B_PORT/" "$S/etc/proxy-server.conf" >"$S/etc/proxy-server-b.conf"
}

# launch NAME CMD...: run CMD as the leader of a new session (so its pid is
# its process group id), stdin closed, output to log/NAME.log.
launch() {
	local name=$1 i
	shift
	rm -f "$T/run/$name.pid"
	setsid bash -c 'echo $$ >"$0"; exec "$@"' "$T/run/$name.pid" "$@" \
		>"$T/log/$name.log" 2>&1 </dev/null &
	for i in $(seq 1 50); do
		[ -s "$T/run/$name.pid" ] && return 0
		sleep 0.02
	done
	die "$name did not start"
}

# group_alive PGID: does a live (not zombie) process remain in the group?
group_alive() {
	local p
	for p in $(pgrep -g "$1" 2>/dev/null); do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] || return 0
	done
	return 1
}

start_one() {
	local name=$1 S=$T/swift
	case $name in
	memcached) launch memcached memcached -u root -l 127.0.0.1 -p "$MEMCACHED_PORT" -m 64 ;;
	swift-account | swift-container | swift-object | swift-proxy)
		launch "$name" "$name-server" "$S/etc/${name#swift-}-server.conf" ;;
	swift-proxy-b) launch "$name" swift-proxy-server "$S/etc/proxy-server-b.conf" ;;
	s3rver | s3rver-b)
		local port=$S3RVER_PORT
		[ "$name" = s3rver-b ] && port=$S3RVER_B_PORT
		mkdir -p "$T/$name-data"
		# The legacy provider: s3rver encrypts ListObjectsV2 continuation
		# tokens with DES, which OpenSSL 3 refuses otherwise (500 on paging).
		NODE_OPTIONS=--openssl-legacy-provider launch "$name" \
			"$S3RVER_BIN" -d "$T/$name-data" -a 127.0.0.1 -p "$port" -s ;;
	esac
}

start() {
	local svc name port any=0 started=()
	for svc in "${SERVICES[@]}"; do
		alive "${svc%:*}" && any=1
	done
	if [ "$any" -eq 0 ]; then
		# Nothing of ours runs: begin from a clean state.
		for c in swift-ring-builder swift-proxy-server swift-object-server \
			swift-container-server swift-account-server memcached; do
			command -v "$c" >/dev/null || die "$c not found (apt-get install swift-proxy swift-account swift-container swift-object memcached)"
		done
		install
		# Only ever a directory this script made (or none).
		case $T in /*/*) ;; *) die "SNAPFS_S3_STATE=$T: give an absolute path below a directory" ;; esac
		[ ! -e "$T" ] || [ -d "$T/run" ] || [ -z "$(ls -A "$T")" ] ||
			die "$T exists and was not made by this script; not removing it"
		rm -rf "$T"
		mkdir -p "$T/run" "$T/log"
		swift_config
	fi
	for svc in "${SERVICES[@]}"; do
		name=${svc%:*} port=${svc#*:}
		alive "$name" && continue
		port_open "$port" && die "port $port is taken by another process; $name not started"
		start_one "$name"
		started+=("$name")
		# The proxy connects to memcached and the storage servers.
		[ "$name" = swift-object ] && { wait_port 6202 && wait_port 6201 && wait_port 6200 && wait_port "$MEMCACHED_PORT"; } ||
			true
	done
	if [ ${#started[@]} -eq 0 ]; then
		say "already up"
		return 0
	fi
	for svc in "${SERVICES[@]}"; do
		name=${svc%:*} port=${svc#*:}
		if ! wait_port "$port"; then
			tail -20 "$T/log/$name.log" >&2 || true
			die "$name not listening on 127.0.0.1:$port (log: $T/log/$name.log)"
		fi
	done
	for port in $SWIFT_PORT $SWIFT_B_PORT; do
		for _ in $(seq 1 100); do
			curl -sf "http://127.0.0.1:$port/healthcheck" >/dev/null && break
			sleep 0.1
		done
		curl -sf "http://127.0.0.1:$port/healthcheck" >/dev/null ||
			die "swift proxy on :$port does not answer /healthcheck"
	done
	say "up (started ${started[*]}): swift http://127.0.0.1:$SWIFT_PORT (and :$SWIFT_B_PORT), s3rver http://127.0.0.1:$S3RVER_PORT (and :$S3RVER_B_PORT)"
}

stop() {
	local svc name port pid pids=() i left
	[ -d "$T/run" ] || { say "nothing to stop"; return 0; }
	for svc in "${SERVICES[@]}"; do
		name=${svc%:*}
		pid=$(pid_of "$name")
		[ -n "$pid" ] || continue
		# The whole group: the server and anything it forked. CONT, so a
		# server a test left stopped (SIGSTOP) sees the TERM.
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		kill -CONT -- "-$pid" 2>/dev/null || true
		pids+=("$pid")
	done
	for i in $(seq 1 50); do
		left=0
		for pid in "${pids[@]}"; do
			group_alive "$pid" && left=1
		done
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do
		kill -KILL -- "-$pid" 2>/dev/null || true
	done
	rm -f "$T"/run/*.pid
	for i in $(seq 1 50); do
		left=()
		for svc in "${SERVICES[@]}"; do
			port_open "${svc#*:}" && left+=("${svc#*:}")
		done
		[ ${#left[@]} -eq 0 ] && break
		sleep 0.1
	done
	[ ${#left[@]} -eq 0 ] || die "ports still open after stop: ${left[*]}"
	say "stopped"
}

status() {
	local svc name port pid rc=0
	for svc in "${SERVICES[@]}"; do
		name=${svc%:*} port=${svc#*:}
		pid=$(pid_of "$name")
		if alive "$name" && port_open "$port"; then
			echo "$name: up, pid $pid, 127.0.0.1:$port"
		else
			echo "$name: down"
			rc=1
		fi
	done
	return $rc
}

case ${1:-} in
install) install ;;
start) start ;;
stop) stop ;;
status) status ;;
*)
	sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
