# A config error names file, line and reason; the loader returns to the
# firmware (whose startup.nsh then ends the run) and the hypervisor never runs.
config << 'CFG'
# comment
memory_mb = 512
bogus_key = 1
CFG
boot --timeout 60
expect "^boot: error: hv/hv.cfg:3: unknown key 'bogus_key'$"
expect '^boot: stopping: returning to the firmware with status 0x[0-9a-f]+ \(invalid parameter\)'
expect_not '^hv: ' "the hypervisor must not start"
expect_status 2
