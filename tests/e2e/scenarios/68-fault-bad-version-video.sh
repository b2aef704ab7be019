# fault = always bad-version channel=fb: the Synthetic Video device accepts
# the guest's VERSION_REQUEST (3.5) but its VERSION_RESPONSE carries 9.0, a
# version the guest did not ask for. The stock hyperv_fb (Linux
# 6.1.0-57-cloud-amd64) reads only is_accepted and keeps the version it
# asked for: it binds and works as usual, without a word about the version.
guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus hyperv_fb > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = video name=fb
fault = always bad-version channel=fb
CFG
boot --timeout 90
expect_status 0
expect_host '^hv: fault: line 6: relid 1 fb: version negotiation offers 9.0 alone, a version the guest did not ask for$'
expect_host '^hv: video: fb: version 3\.5 agreed$'
expect 'hyperv_fb: Synthvid Version major 3, minor 5'
expect 'hyperv_fb: Screen resolution: 1024x768'
expect '^GUEST-CHECK vmbus-dev PASS class=da0a7802-e377-4aac-8e77-0558eb1073f8 .* driver=hyperv_fb$'
expect_not 'hyperv_fb: .*([Tt]ime out|[Ff]ail|[Uu]nable)'
expect_host '^hv: summary .* faults_fired=1 '
expect '^GUEST-CHECK done PASS'
