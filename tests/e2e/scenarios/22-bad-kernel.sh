# A file that is not a bzImage is refused with the reason; no guest runs.
head -c 200000 /dev/urandom > "$WORK/junk"
esp_add "$WORK/junk" hv/vmlinuz
config << 'CFG'
kernel = hv/vmlinuz
CFG
boot --timeout 60
expect '^hv: guest: cannot boot hv/vmlinuz: .*'
expect_not 'hv: vcpu: entering the guest'
expect_status 2
