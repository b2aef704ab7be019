# A video device turns on the EFI handoff (docs/video.md, "The EFI_BOOT
# gate"): Linux boots as an EFI guest ("EL64", the system table, the memory
# map mirroring e820) without a command-line change, without errors, WARNs or
# oopses; /sys/firmware/efi exists. SetVirtualAddressMap reaches its stub,
# which answers EFI_UNSUPPORTED: the guest says so once and goes on without
# runtime services. No hyperv_fb in the initramfs (its probe would wait for a
# VRAM the next step backs); hv_vmbus still sees the channel.
esp_add build/guest/vmlinuz hv/vmlinuz
EXTRA_CHECKS=guest/extra-checks/30-efi.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus > /dev/null ||
    fail "mkinitramfs failed"
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = video name=fb
CFG
boot --timeout 240
expect '^hv: guest: EFI handoff: system table at 0x91000, runtime stubs at 0x90000, [0-9]+-entry memory map \(video device: EFI_BOOT\)$'
expect 'efi: EFI v2\.70 by vmbhv' "the guest took the system table"
expect 'Secure boot disabled'
expect 'efi: Unable to switch EFI into virtual mode \(status=8000000000000003\)!' \
    "SetVirtualAddressMap answered by its stub"
expect_not 'System table signature incorrect'
expect_not 'efi: .*([Ee]rror|[Ff]ailed|[Ii]nvalid|corrupt)'
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
expect '^GUEST-CHECK efi PASS sysfs=yes '
expect '^GUEST-CHECK done PASS'
expect_not 'hv: vcpu: unhandled exit'
expect_status 0
