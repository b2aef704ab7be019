# fault = always refuse-versions from=5.0: INITIATE_CONTACT at 5.0 or above
# is answered "not supported". The stock hv_vmbus proposes 5.3, 5.2, 5.1,
# 5.0, then 4.1, which is accepted: messages on connection 1, replies on
# SINT 2, and every channel works as before.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = heartbeat name=hb
fault = always refuse-versions from=5.0
CFG
boot --timeout 120
expect_status 0
for v in 5.3 5.2 5.1 5.0; do
    expect "^hv: fault: line 5: INITIATE_CONTACT version ${v/./\\.} answered not supported \\(from 5\\.0 on\\)$"
    expect "^hv: vmbus: INITIATE_CONTACT version ${v/./\\.}: not supported$"
done
expect '^hv: vmbus: connected: version 4\.1, guest messages on connection 1, ours on SINT 2$'
expect 'hv_vmbus: Vmbus version:4\.1'
expect '^GUEST-CHECK ic-heartbeat PASS driver=hv_utils version=3\.0$'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* vmbus_version=4\.1 .* faults_fired=4 '
