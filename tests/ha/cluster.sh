#!/bin/sh
# shellcheck disable=SC1091,SC2154
# tests/ha/cluster.sh -- a throw-away PostgreSQL 15 cluster managed by Patroni
# on loopback, with its own etcd, for the failover tests.
#
#   cluster.sh start DIR [N [GUARD_PID]]  N etcd members + N Patroni/PostgreSQL
#                                   nodes (default 3) under DIR; returns once a
#                                   leader accepts writes in database
#                                   `liaison` and a synchronous standby is
#                                   attached; prints "up <seconds>" on stdout.
#                                   GUARD_PID (default: the caller, $PPID; 0 =
#                                   none): when that process is gone, a guard
#                                   stops the cluster (a test killed by a
#                                   signal leaves nothing behind).
#   cluster.sh stop DIR             stops every process by pid (idempotent)
#   cluster.sh primary DIR          prints host:port of the leader (exit 1 if
#                                   there is none)
#   cluster.sh leader DIR           prints the leader's node index (1..N)
#   cluster.sh kill-primary DIR     SIGKILLs the leader's patroni + postgres
#                                   (all its processes); prints its index
#   cluster.sh kill-node DIR I      SIGKILLs node I's patroni + postgres
#   cluster.sh restart-node DIR I   starts node I's patroni again (it
#                                   restarts postgres, pg_rewind if needed)
#   cluster.sh stall-replication DIR  SIGSTOPs the leader's walsenders:
#                                   no WAL leaves the leader (with
#                                   synchronous mode commits block; without
#                                   it they are acknowledged unreplicated);
#                                   prints the pids (also in DIR/stalled)
#   cluster.sh resume-replication DIR  SIGCONTs them
#   cluster.sh role DIR I           prints node I's role from its REST API
#                                   (primary, replica, or down)
#   cluster.sh wait-leader DIR SECS waits for a leader; prints host:port
#   cluster.sh wait-replica DIR I SECS  waits until node I is a streaming
#                                   replica of the current leader
#   cluster.sh addr DIR I           prints node I's PostgreSQL host:port
#   cluster.sh uri DIR              prints the libpq URI listing every node,
#                                   user liaison, target_session_attrs=
#                                   read-write
#   cluster.sh pgpass DIR           prints the path of the PGPASSFILE for
#                                   clients (liaison and postgres roles)
#   cluster.sh pids DIR             prints every live pid of the cluster
#   cluster.sh status DIR           patronictl list
#
# Layout: DIR/env (ports, N), DIR/pgpass (0600), DIR/etcdI/{data,etcd.log,
# pid}, DIR/nodeI/{patroni.yml,data,patroni.log,pid}, DIR/guard.pid,
# DIR/stopped (once stop ran; nothing starts again after it).
# As root, Patroni and PostgreSQL run as the `postgres` user (setpriv, no
# fork, so the recorded pid is patroni's own); etcd runs as the caller.
# Needs: patroni, etcd (server + etcdctl), postgresql-15, curl
# (scripts/install-deps). Run by another user, everything runs as that
# user (PostgreSQL refuses only root).
set -eu

PGBIN=${LSN_HA_PGBIN:-/usr/lib/postgresql/15/bin}
SCOPE=liaison-ha
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"

# Root hands the node directories to postgres and runs patroni as it.
if [ "$(id -u)" -eq 0 ]; then
	ASPG="setpriv --reuid postgres --regid postgres --init-groups"
else
	ASPG=""
fi

own() {
	[ -z "$ASPG" ] || chown postgres:postgres "$1"
}

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

now_ms() {
	date +%s%3N
}

# A free TCP port on 127.0.0.1 below the ephemeral range (so that the
# kernel does not hand it to another test's client meanwhile), not listed
# in DIR/ports yet.
free_port() {
	while :; do
		r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		p=$((20000 + r % 12000))
		if grep -qx "$p" "$D/ports" 2>/dev/null; then
			continue
		fi
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p" >>"$D/ports"
			echo "$p"
			return 0
		fi
	done
}

randpw() {
	od -An -N12 -tx1 /dev/urandom | tr -d ' \n'
}

load_env() {
	[ -f "$D/env" ] || die "$D/env: no cluster here"
	. "$D/env"
}

# pid of node $1's postmaster (first line of postmaster.pid), if running.
pm_pid() {
	f="$D/node$1/data/postmaster.pid"
	[ -f "$f" ] || return 0
	p=$(head -n 1 "$f" 2>/dev/null || true)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
	return 0
}

# pid recorded in file $1 if that process is alive.
live_pid() {
	[ -f "$1" ] || return 0
	p=$(cat "$1" 2>/dev/null || true)
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
	return 0
}

write_etcd() {
	i=$1
	mkdir -p "$D/etcd$i"
	eval cp="\$ETCD_CLIENT_$i"
	eval pp="\$ETCD_PEER_$i"
	# shellcheck disable=SC2154
	etcd --name "etcd$i" --data-dir "$D/etcd$i/data" \
	    --listen-client-urls "http://127.0.0.1:$cp" \
	    --advertise-client-urls "http://127.0.0.1:$cp" \
	    --listen-peer-urls "http://127.0.0.1:$pp" \
	    --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
	    --initial-cluster "$ETCD_CLUSTER" \
	    --initial-cluster-token "$SCOPE-$$" \
	    --initial-cluster-state new \
	    --heartbeat-interval 100 --election-timeout 1000 \
	    </dev/null >>"$D/etcd$i/etcd.log" 2>&1 &
	echo $! >"$D/etcd$i/pid"
}

# node I's Patroni configuration (see config/patroni.yml.example for the
# operator's version of the same settings, commented).
write_patroni_yml() {
	i=$1
	eval rp="\$REST_$i"
	eval pg="\$PG_$i"
	n="$D/node$i"
	cat >"$n/patroni.yml" <<EOF
scope: $SCOPE
name: node$i
restapi:
  listen: 127.0.0.1:$rp
  connect_address: 127.0.0.1:$rp
etcd3:
  hosts: $ETCD_HOSTS
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: $SYNC
    synchronous_mode_strict: $SYNC
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        password_encryption: scram-sha-256
        wal_retrieve_retry_interval: 1s
  initdb:
    - encoding: UTF8
    - data-checksums
  post_bootstrap: $D/post_bootstrap.sh
postgresql:
  listen: 127.0.0.1:$pg
  connect_address: 127.0.0.1:$pg
  data_dir: $n/data
  bin_dir: $PGBIN
  pgpass: $n/pgpass.patroni
  basebackup:
    - checkpoint: fast
  authentication:
    superuser:
      username: postgres
      password: $PW_SUPER
    replication:
      username: replicator
      password: $PW_REPL
  parameters:
    unix_socket_directories: $n
    shared_buffers: 32MB
    max_connections: 40
  pg_hba:
    - local all postgres peer
    - host all all 127.0.0.1/32 scram-sha-256
    - host replication replicator 127.0.0.1/32 scram-sha-256
EOF
	own "$n/patroni.yml"
	chmod 0600 "$n/patroni.yml"
}

start_patroni() {
	i=$1
	# cwd: the node's own directory, which postgres can enter (the
	# caller's may be a 0700 build tree: initdb stops on getcwd)
	(cd "$D/node$i" && exec $ASPG env HOME="$D/node$i" patroni \
	    "$D/node$i/patroni.yml") </dev/null >>"$D/node$i/patroni.log" 2>&1 &
	echo $! >"$D/node$i/pid"
}

# GET http://127.0.0.1:$REST_i/$2 -> HTTP status code (000 when down).
rest_code() {
	eval rp="\$REST_$1"
	curl -s -o /dev/null -m 2 -w '%{http_code}' \
	    "http://127.0.0.1:$rp/$2" 2>/dev/null || true
}

leader_index() {
	i=1
	while [ "$i" -le "$N" ]; do
		if [ "$(rest_code "$i" primary)" = 200 ]; then
			echo "$i"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

cmd_start() {
	N=${1:-3}
	guard=${2:-$PPID}
	SYNC=${LSN_HA_SYNC:-true}
	t0=$(now_ms)
	mkdir -p "$D"
	[ ! -f "$D/env" ] || die "$D: a cluster is already there"
	chmod 0711 "$D"
	: >"$D/ports"
	ETCD_CLUSTER=""
	ETCD_HOSTS=""
	{
		echo "N=$N"
		echo "SYNC=$SYNC"
		i=1
		while [ "$i" -le "$N" ]; do
			echo "ETCD_CLIENT_$i=$(free_port)"
			echo "ETCD_PEER_$i=$(free_port)"
			echo "REST_$i=$(free_port)"
			echo "PG_$i=$(free_port)"
			i=$((i + 1))
		done
		echo "PW_SUPER=$(randpw)"
		echo "PW_REPL=$(randpw)"
		echo "PW_LIAISON=$(randpw)"
	} >"$D/env.tmp"
	chmod 0600 "$D/env.tmp"
	mv "$D/env.tmp" "$D/env"
	. "$D/env"
	i=1
	while [ "$i" -le "$N" ]; do
		eval cp="\$ETCD_CLIENT_$i"
		eval pp="\$ETCD_PEER_$i"
		ETCD_CLUSTER="$ETCD_CLUSTER${ETCD_CLUSTER:+,}etcd$i=http://127.0.0.1:$pp"
		ETCD_HOSTS="$ETCD_HOSTS${ETCD_HOSTS:+,}127.0.0.1:$cp"
		i=$((i + 1))
	done
	{
		echo "ETCD_CLUSTER=$ETCD_CLUSTER"
		echo "ETCD_HOSTS=$ETCD_HOSTS"
	} >>"$D/env"
	umask 077
	{
		echo "127.0.0.1:*:liaison:liaison:$PW_LIAISON"
		echo "127.0.0.1:*:*:postgres:$PW_SUPER"
	} >"$D/pgpass"
	# Run by Patroni once, on the node that bootstraps the cluster.
	cat >"$D/post_bootstrap.sh" <<EOF
#!/bin/sh
set -e
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "\$1" <<'SQL'
CREATE ROLE liaison LOGIN PASSWORD '$PW_LIAISON';
CREATE DATABASE liaison OWNER liaison;
SQL
EOF
	own "$D/post_bootstrap.sh"
	chmod 0700 "$D/post_bootstrap.sh"
	if [ "$guard" != 0 ]; then
		[ -d "/proc/$guard" ] || die "start: guard pid $guard is not running"
		# setsid: a kill of the caller's process group spares the guard.
		setsid sh "$SELF" guard "$D" "$guard" </dev/null \
		    >>"$D/guard.log" 2>&1 &
		echo $! >"$D/guard.pid"
	fi
	i=1
	while [ "$i" -le "$N" ]; do
		write_etcd "$i"
		i=$((i + 1))
	done
	i=1
	while [ "$i" -le "$N" ]; do
		mkdir -p "$D/node$i"
		own "$D/node$i"
		chmod 0700 "$D/node$i"
		write_patroni_yml "$i"
		start_patroni "$i"
		i=$((i + 1))
	done
	# The guard may have stopped the cluster while it was being started
	# (the caller died meanwhile): stop what was started after it.
	if [ -f "$D/stopped" ]; then
		cmd_stop
		die "start: stopped while starting (caller gone?)"
	fi
	wait_ready 180 || {
		echo "cluster.sh: cluster not ready in 180 s; logs in $D" >&2
		tail -n 20 "$D"/node*/patroni.log >&2 || true
		exit 1
	}
	t1=$(now_ms)
	echo "up $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 ))"
}

# Ready: every node up, a leader, a synchronous standby (when synchronous
# mode is on; strict mode blocks commits without one), and the leader's
# database `liaison` takes a commit.
wait_ready() {
	end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ ! -f "$D/stopped" ] || return 1
		if all_running && l=$(leader_index) && sync_ok &&
		    commit_ok "$l"; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}

sync_ok() {
	[ "$SYNC" = true ] || return 0
	i=1
	while [ "$i" -le "$N" ]; do
		[ "$(rest_code "$i" sync)" != 200 ] || return 0
		i=$((i + 1))
	done
	return 1
}

all_running() {
	i=1
	while [ "$i" -le "$N" ]; do
		c=$(rest_code "$i" health)
		[ "$c" = 200 ] || return 1
		i=$((i + 1))
	done
	return 0
}

commit_ok() {
	eval pg="\$PG_$1"
	PGPASSFILE="$D/pgpass" PGCONNECT_TIMEOUT=2 timeout 5 "$PGBIN/psql" -X -q \
	    "postgresql://liaison@127.0.0.1:$pg/liaison" \
	    -c "CREATE TEMP TABLE lsn_ha_probe(x int)" \
	    -c "INSERT INTO lsn_ha_probe VALUES (1)" \
	    >/dev/null 2>&1
}

# Kills node $1 like a machine loss: patroni, the postmaster and every
# postgres child, all with SIGKILL, at once.
kill_node() {
	i=$1
	pp=$(live_pid "$D/node$i/pid")
	pm=$(pm_pid "$i")
	kids=""
	[ -z "$pm" ] || kids=$(pgrep -P "$pm" 2>/dev/null | tr '\n' ' ' || true)
	# shellcheck disable=SC2086
	kill -KILL $pp $pm $kids 2>/dev/null || true
	# shellcheck disable=SC2086
	wait_gone 5 $pp $pm $kids
}

# Waits (at most $1 s) until the pids that follow are gone.
wait_gone() {
	end=$(( $(date +%s) + $1 ))
	shift
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null; do
			[ "$(date +%s)" -lt "$end" ] || return 1
			sleep 0.1
		done
	done
	return 0
}

all_pids() {
	[ -f "$D/env" ] || return 0
	. "$D/env"
	live_pid "$D/guard.pid"
	i=1
	while [ "$i" -le "$N" ]; do
		live_pid "$D/etcd$i/pid"
		live_pid "$D/node$i/pid"
		pm=$(pm_pid "$i")
		if [ -n "$pm" ]; then
			echo "$pm"
			pgrep -P "$pm" 2>/dev/null || true
		fi
		i=$((i + 1))
	done
}

# Every process by pid: patroni first (so it does not restart postgres),
# then an immediate shutdown of each postmaster (SIGQUIT), then etcd (SIGKILL:
# its data is throw-away, and on SIGTERM a leader first tries to hand its
# leadership to members that are going too, for seconds); what is still
# there after 5 s gets SIGKILL.
cmd_stop() {
	[ -f "$D/env" ] || return 0
	. "$D/env"
	: >"$D/stopped"
	cmd_resume
	g=$(live_pid "$D/guard.pid")
	if [ -n "$g" ] && [ "$g" != "${LSN_HA_SELF_GUARD:-}" ]; then
		kill -TERM "$g" 2>/dev/null || true
	fi
	i=1
	while [ "$i" -le "$N" ]; do
		pp=$(live_pid "$D/node$i/pid")
		[ -z "$pp" ] || kill -KILL "$pp" 2>/dev/null || true
		i=$((i + 1))
	done
	i=1
	while [ "$i" -le "$N" ]; do
		pm=$(pm_pid "$i")
		[ -z "$pm" ] || kill -QUIT "$pm" 2>/dev/null || true
		ep=$(live_pid "$D/etcd$i/pid")
		[ -z "$ep" ] || kill -KILL "$ep" 2>/dev/null || true
		i=$((i + 1))
	done
	left=$(all_pids | grep -vx "${LSN_HA_SELF_GUARD:-none}" || true)
	# shellcheck disable=SC2086
	if ! wait_gone 5 $left; then
		left=$(all_pids | grep -vx "${LSN_HA_SELF_GUARD:-none}" || true)
		# shellcheck disable=SC2086
		kill -KILL $left 2>/dev/null || true
		# shellcheck disable=SC2086
		wait_gone 5 $left || true
	fi
	return 0
}

# The guard: polls GUARD_PID every 0.5 s; when it is gone (or DIR/env
# disappears), stops the cluster. `stop` ends the guard with SIGTERM.
cmd_guard() {
	gp=$1
	trap 'exit 0' TERM
	# /proc, not kill -0: a caller of another user is alive too (EPERM).
	while [ -d "/proc/$gp" ] && [ -f "$D/env" ]; do
		sleep 0.5
	done
	echo "guard: $gp gone, stopping the cluster"
	LSN_HA_SELF_GUARD=$$ cmd_stop
}

cmd_stall() {
	load_env
	l=$(leader_index) || die "stall-replication: no leader"
	: >"$D/stalled"
	pm=$(pm_pid "$l")
	[ -n "$pm" ] || die "stall-replication: no postmaster on node$l"
	for p in $(pgrep -P "$pm" 2>/dev/null || true); do
		if grep -q walsender "/proc/$p/cmdline" 2>/dev/null; then
			kill -STOP "$p"
			echo "$p" | tee -a "$D/stalled"
		fi
	done
	[ -s "$D/stalled" ] || die "stall-replication: no walsender found"
}

cmd_resume() {
	[ -f "$D/stalled" ] || return 0
	# shellcheck disable=SC2046
	kill -CONT $(cat "$D/stalled") 2>/dev/null || true
	rm -f "$D/stalled"
}

cmd_uri() {
	load_env
	h=""
	i=1
	while [ "$i" -le "$N" ]; do
		eval pg="\$PG_$i"
		h="$h${h:+,}127.0.0.1:$pg"
		i=$((i + 1))
	done
	echo "postgresql://liaison@$h/liaison?target_session_attrs=read-write&connect_timeout=2"
}

cmd_role() {
	load_env
	i=$1
	if [ "$(rest_code "$i" primary)" = 200 ]; then
		echo primary
	elif [ "$(rest_code "$i" replica)" = 200 ]; then
		echo replica
	else
		echo down
	fi
}

# Node $1 is a replica that streams from the leader (pg_stat_replication
# on the leader lists it as streaming).
streaming_from_leader() {
	l=$(leader_index) || return 1
	[ "$l" != "$1" ] || return 1
	[ "$(rest_code "$1" replica)" = 200 ] || return 1
	eval pg="\$PG_$l"
	s=$(PGPASSFILE="$D/pgpass" PGCONNECT_TIMEOUT=2 timeout 5 \
	    "$PGBIN/psql" -X -q -A -t \
	    "postgresql://postgres@127.0.0.1:$pg/postgres" -c \
	    "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'node$1' AND state = 'streaming'" \
	    2>/dev/null || true)
	[ "$s" = 1 ]
}

D=""
cmd=${1:-}
[ $# -ge 2 ] || die "usage: cluster.sh start|stop|primary|leader|kill-primary|kill-node|restart-node|role|wait-leader|wait-replica|uri|pgpass|pids|status DIR ..."
D=$2
shift 2
case "$cmd" in
start)	cmd_start "$@" ;;
stop)	cmd_stop ;;
guard)	cmd_guard "$1" ;;
primary)
	load_env
	l=$(leader_index) || exit 1
	eval pg="\$PG_$l"
	echo "127.0.0.1:$pg"
	;;
leader)	load_env; leader_index ;;
kill-primary)
	load_env
	l=$(leader_index) || die "kill-primary: no leader"
	kill_node "$l"
	echo "$l"
	;;
kill-node)	load_env; kill_node "$1" ;;
restart-node)
	load_env
	[ ! -f "$D/stopped" ] || die "restart-node: the cluster was stopped"
	[ -z "$(live_pid "$D/node$1/pid")" ] || die "node$1: patroni is running"
	start_patroni "$1"
	;;
role)	cmd_role "$1" ;;
wait-leader)
	load_env
	end=$(( $(date +%s) + ${1:-30} ))
	while [ "$(date +%s)" -lt "$end" ]; do
		if l=$(leader_index); then
			eval pg="\$PG_$l"
			echo "127.0.0.1:$pg"
			exit 0
		fi
		sleep 0.2
	done
	exit 1
	;;
wait-replica)
	load_env
	end=$(( $(date +%s) + ${2:-60} ))
	while [ "$(date +%s)" -lt "$end" ]; do
		streaming_from_leader "$1" && exit 0
		sleep 0.5
	done
	exit 1
	;;
addr)
	load_env
	eval pg="\$PG_$1"
	[ -n "$pg" ] || die "addr: no node $1"
	echo "127.0.0.1:$pg"
	;;
stall-replication) cmd_stall ;;
resume-replication) cmd_resume ;;
uri)	cmd_uri ;;
pgpass)	load_env; echo "$D/pgpass" ;;
pids)	all_pids ;;
status)
	load_env
	patronictl -c "$D/node1/patroni.yml" list
	;;
*)	die "unknown command $cmd" ;;
esac
