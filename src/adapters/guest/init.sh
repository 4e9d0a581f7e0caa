#!/bin/sh
# kbisect guest /init (PID 1, busybox sh), written into the initramfs by kbisect.
# The job comes from /proc/cmdline as kbisect.* words (dotted parameters never
# reach init's environment); answers go to the serial console as marker lines:
#   @P@-READY uptime=<s> role=<role>        network up (server: netserver listening)
#   @P@-RUN-BEGIN test=<t> rep=<n> uptime=<s>   netperf output of one run follows
#   @P@-RUN-END test=<t> rep=<n> rc=<exit> uptime=<s>
#   @P@-DONE uptime=<s>                     client finished; powering off
#   @P@-ERROR <text>                        the job cannot be done
#   @P@-LINK-UP uptime=<s>                  hotplug: eth0 came back and is configured again
# Words: kbisect.role=server|client|probe|shell  kbisect.ip=<addr> kbisect.mask=<netmask>
#        kbisect.server=<ip>  kbisect.hotplug=1 (server: watch eth0)  kbisect.runN=<test>:<reps>:<netperf arg>:<netperf arg>...
#        kbisect.vlans=<vid>/<ip>,...  (802.1Q eth0.<vid>)  kbisect.macs=<mac>/<ip>,...  (macvlan mvN)
# Power-off is `reboot -f`: QEMU runs with -no-reboot, so the VM exits.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
set -f

ROLE=server IP= MASK=255.255.255.0 SERVER= RUNS= VLANS= MACS= HOTPLUG=
read -r CMDLINE < /proc/cmdline
for w in $CMDLINE; do
  case "$w" in
    kbisect.role=*) ROLE=${w#*=} ;;
    kbisect.ip=*) IP=${w#*=} ;;
    kbisect.mask=*) MASK=${w#*=} ;;
    kbisect.server=*) SERVER=${w#*=} ;;
    kbisect.hotplug=*) HOTPLUG=${w#*=} ;;
    kbisect.vlans=*) VLANS=${w#*=} ;;
    kbisect.macs=*) MACS=${w#*=} ;;
    kbisect.run[0-9]*=*) RUNS="$RUNS ${w#*=}" ;;
  esac
done

fail() {
  echo "@P@-ERROR $*"
  sleep 0.2
  reboot -f
}

# the server starts first (it binds to any address), the network comes up meanwhile
# -f: serve tests one after the other instead of forking per test (a fork costs ms under TCG)
[ "$ROLE" = server ] && netserver -D -f -4 -p @PORT@ > /dev/null 2>&1 &

# eth0, then its VLAN sub-interfaces and extra MACs; again after a hotplug, since
# they went away with the old device. $1: what failed, if eth0 cannot be set up.
# One fork: every busybox applet run costs ~10-40 ms under TCG.
net_up() {
  [ -n "$IP" ] && ifconfig eth0 "$IP" netmask "$MASK" up || fail "$1"
  IFS=,
  for v in $VLANS; do
    ip link add link eth0 name "eth0.${v%%/*}" type vlan id "${v%%/*}" && ifconfig "eth0.${v%%/*}" "${v#*/}" netmask "$MASK" up ||
      fail "VLAN ${v%%/*} setup failed (does the kernel have CONFIG_VLAN_8021Q?)"
  done
  n=0
  for m in $MACS; do
    n=$((n + 1))
    ip link add link eth0 name "mv$n" address "${m%%/*}" type macvlan && ifconfig "mv$n" "${m#*/}" netmask "$MASK" up ||
      fail "extra MAC ${m%%/*} setup failed (does the kernel have CONFIG_MACVLAN?)"
  done
  IFS=' 	
'
}
if [ "$ROLE" = server ] || [ "$ROLE" = client ]; then
  net_up "network setup failed (kbisect.ip=$IP kbisect.mask=$MASK)"
fi

case "$ROLE" in
server)
  # listening = a LISTEN (0A) socket on the port in /proc/net/tcp; no fork per poll
  i=0
  while :; do
    while read -r _ local _ st _; do
      [ "$st" = 0A ] && [ "${local#*:}" = @PORT_HEX@ ] && break 2
    done < /proc/net/tcp
    i=$((i + 1))
    [ $i -ge 2000 ] && fail "netserver is not listening on port @PORT@"
    usleep 2000
  done
  read -r UP _ < /proc/uptime
  echo "@P@-READY uptime=$UP role=server"
  if [ "$HOTPLUG" = 1 ]; then
    # the host unplugs and re-plugs the NIC: when eth0 is back, configure it and say so.
    # Polled from /proc/net/dev every 50 ms with builtins only (read -t on a fifo sleeps
    # without a fork), so the watch costs the guest next to nothing between hotplugs.
    NSPID=$!
    mkfifo /tmp/tick && exec 3<> /tmp/tick
    up=1
    while kill -0 "$NSPID" 2> /dev/null; do
      have=0
      while read -r dev _; do
        case "$dev" in eth0:*) have=1 && break ;; esac
      done < /proc/net/dev
      if [ $have = 0 ]; then
        up=0
      elif [ $up = 0 ]; then
        net_up "eth0 came back but could not be configured"
        up=1
        read -r UP _ < /proc/uptime
        echo "@P@-LINK-UP uptime=$UP"
      fi
      read -t 0.05 -u 3 _
    done
  fi
  wait
  fail "netserver exited" ;;
client)
  read -r UP _ < /proc/uptime
  echo "@P@-READY uptime=$UP role=client"
  i=0
  until netperf -4 -H "$SERVER" -t TCP_RR -l -1 -P 0 -- -o THROUGHPUT > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -ge 300 ] && fail "no netserver answers at $SERVER:@PORT@"
    usleep 50000
  done
  for spec in $RUNS; do
    IFS=:
    set -- $spec
    IFS=' 	
'
    name=$1 reps=$2
    shift 2
    r=1
    while [ $r -le "$reps" ]; do
      read -r UP _ < /proc/uptime
      echo "@P@-RUN-BEGIN test=$name rep=$r uptime=$UP"
      netperf "$@" > /tmp/netperf.out 2>&1
      rc=$?
      while read -r line; do echo "$line"; done < /tmp/netperf.out
      read -r UP _ < /proc/uptime
      echo "@P@-RUN-END test=$name rep=$r rc=$rc uptime=$UP"
      r=$((r + 1))
    done
  done
  read -r UP _ < /proc/uptime
  echo "@P@-DONE uptime=$UP"
  reboot -f ;;
probe)
  read -r UP _ < /proc/uptime
  echo "@P@-READY uptime=$UP role=probe"
  reboot -f ;;
shell)
  read -r UP _ < /proc/uptime
  echo "@P@-READY uptime=$UP role=shell"
  exec setsid cttyhack sh ;;
*)
  fail "unknown kbisect.role=$ROLE" ;;
esac
