# Keys typed at the machine reach the guest (docs/video.md, "Synthetic
# Keyboard"): the hypervisor owns the i8042 (IRQ1 through the IOAPIC to
# vector 0xf4) and hands its set-1 bytes to the keyboard device, which the
# stock hyperv-keyboard binds; atkbd turns them into keys for the VT, where
# /init runs a shell on tty1. QEMU's monitor types a command there (sendkey,
# Shift for '>'); the guest's check waits for what it does. The guest's own
# i8042 driver finds no controller (ports 0x60/0x64 are emulated).
EXTRA_CHECKS=guest/extra-checks/50-keyboard.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hyperv_keyboard > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.keys_wait=90
device = keyboard name=kbd
CFG
type_keys_after '^vmbhv-keys: waiting' "echo kbd-ok >/tmp/typed"
boot --timeout 300
expect_host '^hv: kbd: i8042 keyboard \(set 1, translated\) on IOAPIC pin 1, vector 0xf4$'
expect_host '^hv: keyboard: kbd: protocol 1\.0 agreed$'
expect '^vmbhv-init: shell on tty1 \(keyboard or screen\)$'
expect '^GUEST-CHECK keyboard PASS driver=hyperv_keyboard input=AT Translated Set 2 keyboard$'
expect '^GUEST-CHECK keys PASS typed=kbd-ok$' "the typed command ran in tty1's shell"
expect_not 'atkbd.*(Spurious|Unknown key|failed)|i8042: .*(timeout|error)'
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
# 25 keys (Shift too), each pressed and released: 50 events, none lost
expect_host '^hv: summary .* kbd_keys=(5[0-9]|[6-9][0-9]|[1-9][0-9]{2,}) kbd_lost=0 kbd_rejected=0 '
expect_not_host '^hv: ioapic: '
summary=$(grep -m1 '^hv: summary ' "$HOSTLOG.txt")
echo "  host:$(for k in exits intr kbd_keys kbd_lost kbd_rejected ioapic_emulated ioapic_refused; do
    printf ' %s' "$(grep -o " $k=[0-9]*" <<< " ${summary#hv: summary }" | tr -d ' ')"
done)"
expect '^GUEST-CHECK done PASS'
expect_status 0
