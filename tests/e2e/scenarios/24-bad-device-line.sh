# A bad device line names its line and the reason; the loader stops.
config << 'CFG'
memory_mb = 512
device = test name=t0 mmio_mb=8
device = floppy
CFG
boot --timeout 60
expect "^boot: error: hv/hv.cfg:3: device: unknown kind 'floppy'$"
expect_not '^hv: '
expect_status 2
