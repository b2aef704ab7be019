# A kind's own rule, checked in the kind's file (hv/devices/video.c): a VRAM
# too small for 1152x864 at 32 bpp names its line and the word.
config << 'CFG'
memory_mb = 512
device = keyboard
device = video mmio_mb=2
CFG
boot --timeout 60
expect "^hv: devices: hv.cfg line 3: device: video needs mmio_mb >= 4 \(1152x864 at 32 bpp\), not 'mmio_mb=2'$"
expect_not '^hv: guest: '
expect_status 2
