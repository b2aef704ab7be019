# The hypervisor finds the machine's virtio-blk disks (PCI through the
# firmware's MCFG/ECAM): the boot volume is listed and never driven; a
# scratch disk with serial vmbhv-test is driven read-only (its serial through
# GET_ID, its capacity, sector 0's CRC and a few timed polled reads), then
# stopped; a third disk without a serial is driven for GET_ID only; the
# guest boots as usual and sees no disk (no PCI at all).
python3 - "$WORK/disk.img" << 'PY' > "$WORK/crc"
import sys, zlib
sector0 = bytes((i * 37 + 11) & 0xff for i in range(512))
with open(sys.argv[1], "wb") as f:
    f.write(sector0)
    f.truncate(16 << 20)
print("%08x" % zlib.crc32(sector0))
PY
crc=$(cat "$WORK/crc")
disk "$WORK/disk.img" vmbhv-test
truncate -s 1M "$WORK/plain.img"
disk "$WORK/plain.img"
with_guest
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
CFG
boot --timeout 240
expect_host '^hv: pci: ECAM at 0x[0-9a-f]+, buses [0-9]+-[0-9]+$'
# qemu.sh's boot volume comes first on the bus (00:01.0 on q35 without a
# display), the scratch disk after it
expect_host '^hv: disk: virtio-blk 00:0[0-9a-f]\.0 is the boot volume: not driven$'
expect_host '^hv: disk: virtio-blk 00:0[0-9a-f]\.0 serial=vmbhv-test capacity=32768 sectors flush$'
expect_host '^hv: disk: virtio-blk 00:0[0-9a-f]\.0 serial=none capacity=2048 sectors flush$'
expect_host "^hv: disk: vmbhv-test: sector 0 crc32=$crc\$" "sector 0 as written on the host"
expect_host '^hv: disk: vmbhv-test: 16 polled 4 KiB reads, mean [0-9]+ us$'
expect_not_host '^hv: disk: .*(not usable|failed|error)'
[ "$(grep -c 'sector 0' "$HOSTLOG.txt")" = 1 ] || fail "sector 0 read of a disk other than vmbhv-test"
expect_host '^hv: boot: ready$'
expect '^GUEST-CHECK done PASS'
expect_not 'virtio_blk|\[vd[a-z]\]' "the guest sees no virtio disk"
expect_not 'Kernel panic'
expect_status 0
echo "  $(grep -m1 'polled 4 KiB reads' "$HOSTLOG.txt")"
