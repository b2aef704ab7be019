# A guest whose own checks fail reboots instead of powering off: verdict 1.
# (insmod of hv_vmbus with a malformed value for its max_version parameter,
# passed on the command line, always fails.)
with_guest_modules hv_vmbus
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check hv_vmbus.max_version=notanumber
CFG
boot --timeout 240
expect '^GUEST-CHECK insmod-hv_vmbus FAIL'
expect '^GUEST-CHECK done FAIL'
expect '^hv: guest: reset through .* \(a reboot, or a panic with panic=-1\)$'
expect_status 1
