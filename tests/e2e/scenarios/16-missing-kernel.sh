# A kernel named in the config but absent from the volume is reported.
config << 'CFG'
kernel = hv/no-such-kernel
CFG
boot --timeout 60
expect '^boot: error: hv/no-such-kernel \(named in hv/hv.cfg\): cannot read: not found$'
expect_not '^hv: '
expect_status 2
