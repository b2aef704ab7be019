# shutdown_after with a guest that never opens the shutdown channel (no
# hv_utils): the host says so when the deadline passes and keeps the request
# for later; the guest's checks end the run as usual.
with_guest_modules hv_vmbus
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
shutdown_after = 1
device = shutdown name=sd
CFG
boot --timeout 240
expect_status 0
expect '^hv: devices: sd: shutdown device enabled$'
expect 'hv: ic: sd: shutdown_after=1s reached, but the guest has not opened the shutdown channel \(hv_utils not loaded\?\): the request waits for it$'
expect_not 'hv: ic: sd: asking the guest'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* ic_shutdowns=0 '
