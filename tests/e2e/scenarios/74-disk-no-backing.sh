# A disk device whose backing is not there (no virtio-blk disk with that
# serial; the boot volume never counts) and one too big for the heap: each
# error names its hv.cfg line, and the run ends with the error verdict
# before the guest starts.
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
device = disk name=root backing=serial:vmbhv-nothere
CFG
with_guest
boot --timeout 60
expect '^hv: disk: hv.cfg line 3: root: backing=serial:vmbhv-nothere: no such disk \(a virtio-blk function with that serial, not the boot volume\)$'
expect '^hv: devices: root: cannot create the channel: status 0x'
expect_not '^hv: guest: Linux boot protocol'
expect_status 2

config << 'CFG'
memory_mb = 512
heap_mb = 16
kernel = hv/vmlinuz
device = disk name=big backing=ram:64
CFG
boot --timeout 60
expect '^hv: disk: hv.cfg line 4: big: backing=ram:64 does not fit the hypervisor heap: raise heap_mb$'
expect_status 2
