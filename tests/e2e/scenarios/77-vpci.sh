# The stock pci-hyperv on a vpci device (docs/vpci.md): protocol 1.4, the
# bus relations, the probed BAR, D0 entry with the config window (at the
# start of the low MMIO window, the lowest free) trapped and emulated,
# resources assigned; the guest's PCI core scans the bus through
# the window and places the 1 MiB BAR in the channel's MMIO window; sysfs
# shows the function in the domain the instance GUID gives; enabled, its BAR
# decodes (the hypervisor's registers read and written with devmem); unbound (D0 exit,
# the window given up) and bound again, it comes back
# (guest/extra-checks/80-vpci.sh). 512 MiB of RAM: the gap, and the
# channel's 2 MiB window, start at 4 GiB.
EXTRA_CHECKS=guest/extra-checks/80-vpci.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    pci-hyperv > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.vpci_domain=abcd vmbhv.vpci_mmio=0x100000000-0x1001fffff
device = vpci name=pci instance=7a3e2c10-abcd-4e21-9a5c-6d2f1b0e8c47
CFG
boot --timeout 180
expect '^hv: vpci: pci: PCI domain 0xabcd: function 1b36:0005, BAR0 1024 KiB 64-bit memory$'
expect '^hv: mmio: pci required=2MiB optional=0MiB granted=0MiB at 0x100000000$'
expect '^hv: devices: pci: vpci device enabled$'
expect '^hv: vpci: pci: protocol version 1.4$'
expect 'hv_pci 7a3e2c10-abcd-4e21-9a5c-6d2f1b0e8c47: PCI VMBus probing: Using version 0x10004'
expect '^hv: vpci: pci: bus relations: 1 function$'
expect '^hv: vpci: pci: D0 entry: config window at 0xf8000000$'
expect '^hv: vpci: pci: wslot 0: resources assigned$'
expect 'pci abcd:00:00.0: \[1b36:0005\] type 00 class 0xff0000'
expect '^GUEST-CHECK vpci PASS dev=abcd:00:00.0 id=0x1b36:0x0005 class=0xff0000$'
expect 'pci abcd:00:00.0: BAR 0 \[mem 0x100000000-0x1000fffff 64bit\]: assigned'
expect '^GUEST-CHECK vpci-bar PASS bar=0x0*100000000-0x0*1000fffff window='
expect '^GUEST-CHECK vpci-config PASS bar=0400000001000000 '
expect '^hv: vpci: pci: wslot 0: BAR0 decoded at 0x100000000$'
expect '^GUEST-CHECK vpci-bar-regs PASS signature=0x48424D56 scratch=0x5A5AA5A5$'
expect '^GUEST-CHECK vpci-rebind PASS gone=yes back=yes$'
expect '^hv: vpci: pci: D0 exit$'
[ "$(grep -c '^hv: vpci: pci: D0 entry: config window at 0xf8000000$' "$LOG.txt")" = 2 ] ||
    fail "the window not trapped again after the rebind"
expect_not 'GUEST-CHECK .* FAIL'
expect_not 'hv: vpci: .* (refused|dropped)'
expect '^hv: summary .* vpci_requests=[1-9][0-9]* vpci_refused=0 '
expect_status 0
