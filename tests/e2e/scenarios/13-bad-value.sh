# A bad value is reported with its line.
config << 'CFG'
memory_mb = 100000
CFG
boot --timeout 60
expect '^boot: error: hv/hv.cfg:1: memory_mb = 100000 is out of range \[64, 3584\]$'
expect_not '^hv: '
expect_status 2
