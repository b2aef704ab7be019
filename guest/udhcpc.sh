#!/bin/sh
# udhcpc's hook (guest/init brings a netvsc interface up with it): applies a
# lease to $interface: the address, its prefix, the first router as default.
case $1 in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route add default via "$r" dev "$interface"
		break
	done
	;;
esac
exit 0
