# A nic line the kind refuses (hv/devices/nic.c): no backing= word. The run
# ends before the guest, naming the line and what is missing.
config << 'CFG'
memory_mb = 512
device = nic name=eth mac=02:00:00:00:00:01
CFG
boot --timeout 60
expect "^hv: devices: hv.cfg line 2: device: nic needs the word 'backing=virtio'$"
expect_not '^hv: guest: '
expect_status 2
