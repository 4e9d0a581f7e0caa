#!/bin/bash
# slurm-local.sh - a one-machine Slurm cluster (slurmctld + slurmd, partitions build
# and perf) with munge, plus a redis-server for ccache's remote storage, started as
# plain daemons: no systemd, no init scripts. For kbisect's Slurm tests and for trying
# `kbisect run --executor slurm` out. Run as root (packages: scripts/setup-host.sh).
#   bash scripts/slurm-local.sh start   # idempotent; prints the SLURM_CONF line to export
#   eval "$(bash scripts/slurm-local.sh env)"
#   bash scripts/slurm-local.sh stop    # cancels jobs, kills our daemons by pid, deletes the state dir
# Overrides: SLURM_LOCAL_DIR (default /tmp/kbisect-slurm-local), SLURMCTLD_PORT SLURMD_PORT
# REDIS_PORT SLURM_MIN_JOB_AGE, and SLURM_LOCAL_NODES=N (default 1): N measurement nodes, localhost
# plus perf2..perfN in the perf partition, each its own slurmd on port SLURMD_PORT+k-1 (several hosts
# for a multi-host bisection on one machine). Based on the verified recipe in the lab notes.
set -euo pipefail
D=${SLURM_LOCAL_DIR:-/tmp/kbisect-slurm-local}  # ALL config, key, state, logs, pid files: stop removes it
CONF=$D/etc/slurm.conf                  # private config; /etc/slurm is never read or written
SOCK=$D/munge/munge.socket              # private munged socket: a system munged cannot interfere
CTLD_PORT=${SLURMCTLD_PORT:-6817} SLURMD_PORT=${SLURMD_PORT:-6818}  # override if taken
REDIS_PORT=${REDIS_PORT:-6379}          # the port ccache's redis://HOST URL defaults to
NODES=${SLURM_LOCAL_NODES:-1}
[[ $NODES =~ ^[1-8]$ ]] || { echo "SLURM_LOCAL_NODES: expected 1..8, got '$NODES'" >&2; exit 2; }
EXTRA=""; for ((k = 2; k <= NODES; k++)); do EXTRA+=" perf$k"; done  # nodes besides localhost
export SLURM_CONF=$CONF                 # every Slurm command (and every job) reads this config

# alive NAME [PIDFILE]: $D/run/PIDFILE.pid (default NAME) names a live process whose command is
# NAME. Checking the name guards against a reused pid; zombies (state Z) count as dead although
# kill -0 accepts them.
alive() { local p s; p=$(cat "$D/run/${2:-$1}.pid" 2>/dev/null) || return 1
  s=$(ps -o stat=,comm= -p "$p" 2>/dev/null) && [[ $s != Z* && ${s##* } == "$1" ]]; }
dead() { ! alive "$@"; }
# waitfor SECS WHAT CMD...: daemons fork before they are ready, so poll 10x/s until CMD succeeds.
waitfor() { local end=$(( SECONDS + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || { echo "timeout waiting for $what; logs in $D/log" >&2; return 1; }
    sleep 0.1; done; }
munge_ok() { munge -n -S "$SOCK" | unmunge -S "$SOCK"; }           # a credential round-trips
ctld_ok()  { alive slurmctld && scontrol ping | grep -q 'is UP'; }  # controller answers RPCs
# Node usable = idle/mix/alloc/comp (not down*, unk*, drain, inval): every node of perf.
node_ok()  { local n; for n in localhost $EXTRA; do alive slurmd "slurmd-$n" || return 1; done
  [ "$(sinfo -h -N -p perf -o '%N %t' | grep -cE ' (idle|mix|alloc|comp)$')" = "$NODES" ]; }
redis_ok() { alive redis-server && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping)" = PONG ]; }
no_jobs()  { [ -z "$(squeue -h -o %A)" ]; }

start() {
  [ "$(id -u)" = 0 ] || { echo "run as root (SlurmUser=root, jobs run as the submitter)" >&2; exit 1; }
  # Packages come from scripts/setup-host.sh (the one place that installs anything).
  for c in slurmctld slurmd sbatch munged mungekey redis-server redis-cli; do command -v $c >/dev/null || {
    echo "$c not found: install slurm-wlm munge redis-server redis-tools (sudo bash scripts/setup-host.sh)" >&2; exit 1; }; done
  mkdir -p "$D"/{etc,key,munge,state,spool,log,run,redis}
  chmod 700 "$D/key"    # the key must be private to root
  chmod 755 "$D/munge"  # munged refuses a socket dir without o+x: "Socket is inaccessible"
  # munge: a per-cluster key; munged (as root) forks and returns once its socket exists.
  [ -s "$D/key/munge.key" ] || mungekey --create --keyfile="$D/key/munge.key"
  alive munged || munged --key-file="$D/key/munge.key" --socket="$SOCK" \
    --pid-file="$D/run/munged.pid" --log-file="$D/log/munged.log" --seed-file="$D/key/munged.seed"
  waitfor 10 munged munge_ok
  if [ ! -s "$CONF" ]; then  # written once; a second start keeps it (and the queued jobs)
    # Real CPUs/topology/RealMemory from `slurmd -C` (more than the host has => node INVAL).
    HW=$(slurmd -C | sed -n '1s/^NodeName=[^ ]* //p')
    [ -n "$HW" ] || { echo "slurmd -C printed nothing" >&2; exit 1; }
    cat > "$CONF" <<EOF
ClusterName=local
SlurmctldHost=localhost             # Slurm substitutes the short hostname; address stays localhost
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny  # listen on 127.0.0.1, not 0.0.0.0
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root                      # no slurm user/dirs needed; root jobs are allowed
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK               # clients, slurmctld, slurmd, slurmstepd: our munged
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n             # %n: the node name (several slurmd on one machine)
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd-%n.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc   # proctrack/cgroup fails here (no usable freezer cgroup)
TaskPlugin=task/affinity            # pins a job to its CPUs, so nproc in a job = its -c
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none  # no slurmdbd: sacct says "disabled"
MpiDefault=none
MailProg=/bin/true                  # silences "Configured MailProg is invalid"
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0  # jobs start at the next tick: submit to end of "echo 1" 1.4-1.7 s, 2.0-3.1 s without
SelectType=select/cons_tres
SelectTypeParameters=CR_Core        # CPUs only; memory is not a consumable (no --mem needed)
ReturnToService=2                   # node comes back by itself when slurmd re-registers
MinJobAge=${SLURM_MIN_JOB_AGE:-3600}  # seconds scontrol show job keeps a finished job
KillWait=5                          # seconds from SIGTERM to SIGKILL on scancel/timeout
EOF
    # The other nodes come first: while localhost is the only node defined, Slurm 22.05 takes any
    # name it looks up for localhost ("Duplicated NodeHostName perf2"). Each slurmd its own port.
    for ((k = 2; k <= NODES; k++)); do
      echo "NodeName=perf$k NodeHostname=perf$k NodeAddr=127.0.0.1 Port=$(( SLURMD_PORT + k - 1 )) $HW State=UNKNOWN" >> "$CONF"; done
    cat >> "$CONF" <<EOF
NodeName=localhost NodeAddr=127.0.0.1 $HW State=UNKNOWN
PartitionName=build Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=perf  Nodes=localhost${EXTRA// /,} MaxTime=INFINITE State=UP
EOF
  fi
  # Order: munged, slurmctld, slurmd (it registers with slurmctld), redis (independent).
  alive slurmctld || slurmctld -f "$CONF"
  waitfor 30 slurmctld ctld_ok
  for n in localhost $EXTRA; do mkdir -p "$D/spool/$n"  # -N: node name need not be the hostname
    alive slurmd "slurmd-$n" || slurmd -f "$CONF" -N "$n"; done
  waitfor 30 slurmd node_ok
  # redis for ccache: loopback only, no persistence, LRU eviction (ccache never cleans redis).
  alive redis-server || redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$D/run/redis-server.pid" --logfile "$D/log/redis.log" --dir "$D/redis" \
    --save '' --appendonly no --maxmemory 1gb --maxmemory-policy allkeys-lru
  waitfor 10 redis-server redis_ok  # also fails if another redis holds the port (no pid file)
  echo "export SLURM_CONF=$CONF"
}

# kill_daemon NAME [PIDFILE]: TERM our daemon by its recorded pid, wait up to 10 s, then KILL.
kill_daemon() { alive "$1" "${2:-$1}" || return 0; local p; p=$(cat "$D/run/${2:-$1}.pid"); kill "$p" || true
  waitfor 10 "exit of $1 ($p)" dead "$1" "${2:-$1}" || kill -9 "$p" || true; }

stop() {
  if ctld_ok; then
    # Cancel all jobs first so their slurmstepd processes end while slurmd still runs.
    squeue -h -o %A | sort -u | xargs -r scancel
    waitfor 20 "jobs to end" no_jobs || true; fi
  kill_daemon redis-server
  # every slurmd this cluster started, whatever SLURM_LOCAL_NODES says now
  for f in "$D"/run/slurmd-*.pid; do [ -e "$f" ] && kill_daemon slurmd "$(basename "$f" .pid)"; done
  for n in slurmctld munged; do kill_daemon $n; done
  [[ $D == /?*/?* ]] && rm -rf "$D"  # refuse to remove "/" or a top-level directory
  return 0
}

case ${1:-} in
  start) start ;; stop) stop ;; env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
