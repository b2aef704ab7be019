# A keyboard device on a machine without an i8042 (q35 with i8042=off): the
# hypervisor says once that the controller is not there and goes on; the
# device still serves the protocol (hyperv-keyboard binds), it just never
# gets a key, and the guest boots and passes its checks as usual.
guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus hyperv_keyboard > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = keyboard name=kbd
CFG
boot --timeout 180 -- -machine i8042=off
expect_host '^hv: kbd: i8042 unusable: no controller at ports 0x60/0x64: the keyboard device gets no keys$'
expect_not_host '^hv: kbd: i8042 keyboard '
expect_host '^hv: keyboard: kbd: protocol 1\.0 agreed$'
expect '^GUEST-CHECK vmbus-dev PASS class=f912ad6d-2b17-48ea-bd65-f927a61c7684 .* driver=hyperv_keyboard$'
expect '^GUEST-CHECK done PASS'
expect_host '^hv: summary .* kbd_keys=0 kbd_lost=0 kbd_rejected=0 '
expect_status 0
