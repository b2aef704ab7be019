# A device line naming no kind the hypervisor knows: the loader passes device
# lines through (it knows no kinds); the hypervisor's registry names the line
# and the reason, and the run ends with its error verdict before anything
# else, guest or not.
config << 'CFG'
memory_mb = 512
device = test name=t0 mmio_mb=8
device = floppy
CFG
boot --timeout 60
expect "^hv: devices: hv.cfg line 3: device: unknown kind 'floppy'$"
expect_not '^hv: devices: .* device enabled'
expect_not '^hv: guest: '
expect_status 2
