# Sub-channels end to end (docs/vmbus.md, "Sub-channels"): a 2-CPU machine,
# a 2-VP guest, a disk and a nic. The stock hv_storvsc (QUERY_PROPERTIES:
# multi-channel, one sub-channel) and hv_netvsc (RSS capabilities: two
# queues) each ask for one sub-channel; the host offers it with the
# primary's GUIDs and sub_channel_index 1, the guest opens it, and I/O runs
# over both channels: the disk's pattern and filesystem, a file each way
# over the network (guest/extra-checks/60-disk.sh, 60-nic.sh). Each
# device's sysfs channels/ lists two relids that both carried signals and
# interrupts (65-subchannels.sh), and the host's summary counts requests
# and frames that came in on the sub-channels. Then an MTU change makes
# hv_netvsc close and reopen its channels: the host rescinds the old
# sub-channel as the primary closes, the guest releases it, a new one is
# granted and opened, and the gateway answers again.
export QEMU_SMP=2
net_exchange_start $((1 << 20))
EXTRA_CHECKS="guest/extra-checks/60-disk.sh guest/extra-checks/60-nic.sh \
guest/extra-checks/65-subchannels.sh" guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_storvsc sd_mod hv_netvsc > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << CFG
memory_mb = 512
heap_mb = 64
vcpus = 2
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.disk_sectors=32768 $NET_GET
device = disk name=scratch backing=ram:16
device = nic name=eth backing=virtio
CFG
net_exchange_fetch
boot --timeout 240
net_exchange_check $((1 << 20))
expect '^\[ *[0-9.]+\] smp: Brought up 1 node, 2 CPUs$' "the guest has two CPUs"
expect_host '^hv: vmbus: scratch\.1 enabled as relid [0-9]+: sub-channel 1 of relid [0-9]+$'
expect_host '^hv: vmbus: eth\.1 enabled as relid [0-9]+: sub-channel 1 of relid [0-9]+$'
expect_host '^hv: vmbus: relid [0-9]+ scratch\.1 opened: '
expect_host '^hv: vmbus: relid [0-9]+ eth\.1 opened: '
expect '^GUEST-CHECK disk-data PASS 1048576 bytes md5=[0-9a-f]{32}$'
expect '^GUEST-CHECK disk-fs PASS ok$'
expect '^GUEST-CHECK subchannels-storvsc PASS want=2 channels=[0-9]+:0:[01]:[0-9]+:[0-9]+,[0-9]+:1:[01]:[0-9]+:[0-9]+$'
expect '^GUEST-CHECK subchannels-netvsc PASS want=2 channels=[0-9]+:0:[01]:[0-9]+:[0-9]+,[0-9]+:1:[01]:[0-9]+:[0-9]+$'
expect '^GUEST-CHECK subchannels-reopen PASS if=eth0 mtu=1400 channels=[0-9]+,[0-9]+, '
expect_host '^hv: vmbus: rescind relid [0-9]+ eth\.1$' "the old sub-channel went with the primary's close"
expect_host '^hv: vmbus: relid [0-9]+ eth\.1 released$'
[ "$(grep -c 'eth\.1 enabled as relid' "$HOSTLOG.txt")" = 2 ] || fail "no second sub-channel after the reopen"
[ "$(grep -cE 'relid [0-9]+ eth\.1 opened' "$HOSTLOG.txt")" = 2 ] || fail "the second sub-channel was not opened"
expect_not 'GUEST-CHECK .* FAIL'
expect '^GUEST-CHECK done PASS'
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic|Failed to create sub-channel|sub channel'
expect_not_host '^hv: vmbus: .*(corrupt|stalled|rejected|refused)'
expect_host '^hv: summary .* disk_errors=0 disk_subchannel=[1-9][0-9]* '
expect_host '^hv: summary .* nic_bad=0 nic_subchannel=[1-9][0-9]* '
expect_status 0
echo "  $(grep -o 'GUEST-CHECK subchannels-[a-z]* [A-Z]* [^ ]* [^ ]*' "$LOG.txt" | tr '\n' ' ')"
echo "  $(grep -m1 '^hv: summary' "$HOSTLOG.txt" | grep -o '[a-z]*_subchannel=[0-9]*' | tr '\n' ' ')"
