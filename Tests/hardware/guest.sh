#!/bin/sh
# Runs inside the VM. Usage: guest.sh t1|e1 PATH/TO/dialtone
VARIANT=${1:-t1}; BIN=${2:-/tmp/hw/dialtone}
HW=/tmp/hw/src
ts() { echo "[uptime $(cut -d' ' -f1 /proc/uptime)s] $*"; }
ts "guest up, variant $VARIANT"
modprobe dahdi auto_assign_spans=1 && modprobe dahdi_dynamic && modprobe dahdi_dynamic_loc || { echo "GUEST: modprobe failed"; exit 1; }
dahdi_cfg -c $HW/system-$VARIANT.conf || { echo "GUEST: dahdi_cfg failed"; dmesg | tail -20; exit 1; }
for i in $(seq 1 50); do [ -e /proc/dahdi/4 ] && break; sleep 0.1; done
ts "DAHDI configured"
grep -H . /proc/dahdi/* | grep -iE 'span|alarm' | head -8
mkdir -p /tmp/dialtone
ts "dialtone loopback on /dev/dahdi"
$BIN loopback -c $HW/dialtone-$VARIANT.yaml --hardware --calls ${CALLS:-20} --log-level notice
RC=$?
ts "loopback exit rc=$RC"
dmesg | grep -iE 'dahdi|tdmo' | tail -5
exit $RC
