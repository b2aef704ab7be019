#!/bin/sh
# make bench's network run (tests/bench/net.sh), on the guest's one network
# interface whatever drives it (hv_netvsc under vmbhv, virtio_net when QEMU
# boots the kernel directly), with vmbhv.netbench=<port>/<md5>/<MiB>: the
# interface up by DHCP if it has no address yet; busybox wget fetches /big
# from the host's server on <port> through QEMU's gateway (10.0.2.2, the
# host's loopback) and its MD5 must be <md5>; then <MiB> MiB of random bytes
# are served by busybox httpd on port 80 until the interface has sent that
# much (the host fetched them through its port forward) or 600 s pass. The
# host times both transfers. Only in initramfs images built with EXTRA_CHECKS
# naming this file.
#   GUEST-CHECK netbench-get PASS|FAIL if=<ifname> md5=<md5> s=<seconds>
#   vmbhv-netbench: serving <bytes> bytes md5=<md5>
#   GUEST-CHECK netbench-put PASS|FAIL sent=<bytes>
spec=
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.netbench=*) spec=${arg#*=} ;; esac
done
[ -n "$spec" ] || exit 0
port=${spec%%/*} rest=${spec#*/}
want=${rest%%/*} mb=${rest#*/}
ifc=none i=0
while [ "$ifc" = none ] && [ $i -lt 100 ]; do
	for n in /sys/class/net/*; do [ "${n##*/}" != lo ] && [ -e "$n" ] && ifc=${n##*/}; done
	[ "$ifc" = none ] && usleep 100000
	i=$((i + 1))
done
ip -4 -o addr show dev "$ifc" 2>/dev/null | grep -q inet ||
	udhcpc -i "$ifc" -n -q -t 5 -T 2 -s /etc/vmbhv/udhcpc.sh >/dev/null 2>&1

t0=$(cut -d' ' -f1 /proc/uptime)
md5=$(wget -q -O - "http://10.0.2.2:$port/big" | md5sum | cut -d' ' -f1)
t1=$(cut -d' ' -f1 /proc/uptime)
result=FAIL
[ "$md5" = "$want" ] && result=PASS
guest-check netbench-get $result "if=$ifc md5=$md5 s=$(awk "BEGIN { print $t1 - $t0 }")"

mkdir -p /srv
dd if=/dev/urandom of=/srv/big bs=1048576 count="$mb" 2>/dev/null
size=$(wc -c </srv/big)
httpd -p 80 -h /srv
before=$(cat "/sys/class/net/$ifc/statistics/tx_bytes")
echo "vmbhv-netbench: serving $size bytes md5=$(md5sum </srv/big | cut -d' ' -f1)"
sent=0
for i in $(seq 1200); do
	sent=$(($(cat "/sys/class/net/$ifc/statistics/tx_bytes") - before))
	[ "$sent" -ge "$size" ] && break
	sleep 0.5
done
sleep 2 # the last segments' acknowledgements
rm -f /srv/big
result=FAIL
[ "$sent" -ge "$size" ] && result=PASS
guest-check netbench-put $result "sent=$sent"
