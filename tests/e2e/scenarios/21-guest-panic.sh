# A guest that panics (no init, panic=-1 reboots at once) ends the run with a
# failure verdict through the reset it attempts, not by the harness timeout.
with_guest
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 init=/nonexistent rdinit=/nonexistent
CFG
boot --timeout 240
expect 'Kernel panic - not syncing'
expect '^hv: guest: reset through .* \(a reboot, or a panic with panic=-1\)$'
expect '^hv: summary .* verdict=1$'
expect_status 1
