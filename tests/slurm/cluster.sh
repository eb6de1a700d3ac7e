#!/usr/bin/env bash
# A one-node SLURM cluster on localhost for the tests (Debian's slurm-wlm 22.05 + munge, as root).
#   tests/slurm/cluster.sh install          apt-get install slurm-wlm munge (if missing)
#   tests/slurm/cluster.sh start DIR        write DIR/slurm.conf, start munged, slurmctld, slurmd
#   tests/slurm/cluster.sh stop DIR         stop the daemons started by `start DIR`
# Clients need SLURM_CONF=DIR/slurm.conf. No slurmdbd: finished jobs (with their TRES: cpu, mem,
# gres/gpu) are recorded by jobcomp/filetxt in DIR/jobcomp.txt, which `sacct --completion` reads;
# MinJobAge is long so squeue keeps finished jobs for the executor's status queries.
# The node advertises two GPUs through gres.conf (File=/dev/null and /dev/zero as their devices), so jobs that ask
# for --gpus=1 schedule (and are recorded) on this GPU-less machine; torch still sees no GPU.
set -euo pipefail
trap 'echo "cluster.sh: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
cmd=${1:?usage: cluster.sh install|start DIR|stop DIR}

case "$cmd" in
install)
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null; }
  fi
  slurmctld -V
  ;;
start)
  d=$(realpath -m "${2:?state dir}")
  mkdir -p "$d/state" "$d/spool" "$d/munge"
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048 ))
  cat > "$d/slurm.conf" <<CONF
ClusterName=xaiadv-test
SlurmctldHost=$node
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=86400
MaxJobCount=100000
JobCompType=jobcomp/filetxt
JobCompLoc=$d/jobcomp.txt
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
GresTypes=gpu
NodeName=$node CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  # one "device file" per declared GPU (character devices that exist everywhere)
  printf 'NodeName=%s Name=gpu File=/dev/null\nNodeName=%s Name=gpu File=/dev/zero\n' "$node" "$node" > "$d/gres.conf"
  # munge: its own key, socket and pid under DIR (leaves a system munged alone)
  if [ ! -f "$d/munge/munge.key" ]; then
    dd if=/dev/urandom of="$d/munge/munge.key" bs=1 count=1024 status=none
    chmod 400 "$d/munge/munge.key"
  fi
  munged --force --key-file="$d/munge/munge.key" --socket="$d/munge/munge.socket" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/munge/munged.log" --seed-file="$d/munge/munged.seed"
  # slurm reads the munge socket from AuthInfo
  sed -i "s|^AuthType=auth/munge|AuthType=auth/munge\nAuthInfo=socket=$d/munge/munge.socket|" "$d/slurm.conf"
  sed -i "s|^CredType=cred/munge|CredType=cred/munge|" "$d/slurm.conf"
  export SLURM_CONF="$d/slurm.conf"
  # Job steps (the executor runs `srun` inside each batch job) do not inherit SLURM_CONF and look
  # in the default place: point /etc/slurm/slurm.conf at ours unless a real one is there.
  if [ ! -e /etc/slurm/slurm.conf ] || [ -L /etc/slurm/slurm.conf ]; then
    mkdir -p /etc/slurm
    ln -sfn "$d/slurm.conf" /etc/slurm/slurm.conf
    ln -sfn "$d/gres.conf" /etc/slurm/gres.conf
    touch "$d/linked-etc"
  fi
  slurmctld -c -f "$d/slurm.conf"
  slurmd -c -f "$d/slurm.conf" -N "$node"
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then sinfo; exit 0; fi
    sleep 1
  done
  echo "slurm did not come up; logs:" >&2
  tail -n 20 "$d/slurmctld.log" "$d/slurmd.log" >&2
  exit 1
  ;;
stop)
  d=$(realpath -m "${2:?state dir}")
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    if [ -f "$d/$f" ]; then kill "$(cat "$d/$f")" 2>/dev/null || true; fi
  done
  if [ -f "$d/linked-etc" ]; then rm -f /etc/slurm/slurm.conf /etc/slurm/gres.conf; fi
  sleep 1
  ;;
*)
  echo "unknown command $cmd" >&2; exit 2 ;;
esac
