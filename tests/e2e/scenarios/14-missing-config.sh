# No hv/hv.cfg on the volume: reported, not a hang.
esp_del hv/hv.cfg
boot --timeout 60
expect '^boot: error: hv/hv.cfg: cannot read: not found$'
expect_not '^hv: '
expect_status 2
