#!/bin/sh
# The hypervisor's MMIO emulation (docs/mmio.md) from user space: a test
# device traps the page at vmbhv.mmio_trap=<gpa> (its register page: "VMBTRAP"
# at 0, scratch at 0x100-0x1ff, all-ones elsewhere); busybox devmem maps it
# through /dev/mem and loads and stores it at every width, each access
# emulated from the instruction the guest ran. Only in initramfs images built
# with EXTRA_CHECKS naming this file (scenario 80-mmio-trap).
#   GUEST-CHECK mmio PASS|FAIL accesses=<n> | <what>=<got> want=<want>
base=
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.mmio_trap=*) base=${arg#*=} ;;
	esac
done
[ -n "$base" ] || { echo "GUEST-CHECK mmio FAIL no vmbhv.mmio_trap="; exit 1; }
n=0
rd() { devmem $((base + $1)) "$2"; }
wr() { devmem $((base + $1)) "$2" "$3" && n=$((n + 1)); }
expect() { # <offset> <width> <want>
	got=$(rd "$1" "$2")
	n=$((n + 1))
	[ -n "$got" ] && [ $((got)) = $(($3)) ] && return
	echo "GUEST-CHECK mmio FAIL read$2@$1=$got want=$3"
	exit 1
}
expect 0 32 0x54424d56
expect 0 64 0x0050415254424d56
expect 4 16 0x4152
expect 6 8 0x50
expect 0x10 8 0xff
expect 0x800 32 0xffffffff
wr 0x100 32 0x12345678
expect 0x100 32 0x12345678
expect 0x101 8 0x56
expect 0x102 16 0x1234
wr 0x108 64 0x0123456789abcdef
expect 0x108 64 0x0123456789abcdef
expect 0x10c 32 0x01234567
wr 0x110 8 0x5a
wr 0x111 16 0xbeef
expect 0x110 32 0x00beef5a
wr 0x800 32 0
expect 0x800 32 0xffffffff
echo "GUEST-CHECK mmio PASS accesses=$n"
