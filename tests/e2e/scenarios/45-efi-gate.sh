# A video device turns on the EFI handoff (docs/video.md, "The EFI_BOOT
# gate"): Linux boots as an EFI guest ("EL64", the system table, the memory
# map mirroring e820) without a command-line change, without errors, WARNs or
# oopses; /sys/firmware/efi exists. SetVirtualAddressMap reaches its stub,
# which answers EFI_UNSUPPORTED: the guest says so once and goes on without
# runtime services. The machine has no display adapter (no GOP): the video
# device works all the same (hyperv_fb binds) and the host says once that
# nothing is shown.
esp_add build/guest/vmlinuz hv/vmlinuz
EXTRA_CHECKS=guest/extra-checks/30-efi.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus hyperv_fb > /dev/null ||
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
expect '^boot: display: none \(no GOP\)$'
expect_host '^hv: screen: nothing is shown: no GOP framebuffer \(headless firmware\)$'
expect 'hyperv_fb: Synthvid Version major 3, minor 5'
expect '^GUEST-CHECK vmbus-dev PASS class=da0a7802-e377-4aac-8e77-0558eb1073f8 .* driver=hyperv_fb$'
expect '^GUEST-CHECK done PASS'
expect_not 'hv: vcpu: unhandled exit'
expect_status 0
