# A hostile ring-0 guest (guest/kmod/vmbhv_attack.ko) knocks on every door of
# the hypervisor that does not end the machine: COM1's divisor latch (DLAB
# and divisor 0xffff while the host logs a line), APIC_BASE, host-wide MSRs,
# MTRRs, PAT, unknown MSRs, EFER, the TSC, INVD, the PM1 control register's
# high byte, CMOS writes, the SMI port, the host's log ports (COM2, debugcon),
# isa-debug-exit, string I/O, 32-bit IN, unowned ports, bad SINT vectors, a
# self-IPI on vector 0xff, IPIs (fixed, NMI, INIT, SIPI) to every other APIC
# ID, IOAPIC entries aimed at the host and 3000
# unbacked guest-physical pages. Each case
# gets the architectural answer the hypervisor promises (guest/kmod/README.md);
# afterwards the guest's own checks pass, VMBus and the heartbeat still work,
# and nothing the guest wrote to the host's log ports is in the host's log.
# The attack module (default: every non-fatal case) and its check script go
# into an initramfs of our own, with the VMBus and IC drivers.
with_guest_modules hv_vmbus hv_utils build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.idle=5
device = heartbeat name=hb
device = timesync name=ts
CFG
boot --timeout 240
expect_status 0

cases="com1-dlab msr-unknown msr-apic-base msr-pat msr-mtrr efer port-empty-bus port-in32
    port-string port-cmos port-host-log port-smi sint-vector spurious-0xff ioapic-entry invd
    npf-many msr-host-wide port-pm1-straddle port-debug-exit ipi-others msr-tsc"
n=0
for c in $cases; do
    n=$((n + 1))
    expect "vmbhv-attack: $c PASS( |\$)" "case $c"
    expect "^GUEST-CHECK vmbhv-attack-$c PASS" "case $c reported"
done
expect "vmbhv-attack: done cases=$n passed=$n failed=0\$"
expect "^GUEST-CHECK vmbhv-attack PASS cases=$n passed=$n failed=0\$"
expect_not 'vmbhv-attack: [a-z0-9-]+ FAIL'

# The guest is still whole: its checks ran after the attack and passed.
expect '^GUEST-CHECK vmbus PASS'
expect '^GUEST-CHECK ic-heartbeat PASS driver=hv_utils'
expect '^GUEST-CHECK ic-clock PASS' "the TSC write did not throw the clock off"
expect '^GUEST-CHECK done PASS'
expect_not 'Kernel panic|BUG:|Oops'

# And so is the host: VMBus negotiated, every heartbeat answered to the end
# (a period without an answer is logged as missed), the PM1 high-byte write
# taken as the sleep request it is, a clean power-off.
expect_host '^hv: vmbus: connected: version 5\.3'
expect_host '^hv: ic: hb: heartbeat: answered 1, missed 0$'
expect_not_host 'heartbeat: missed'
expect_host '^hv: guest: sleep state SLP_TYP=0 requested: not supported, ignored$' "port-pm1-straddle seen as a sleep request"
expect_host '^hv: guest: power-off \(ACPI S5\)$'
expect_host '^hv: summary .* ic_heartbeats=[1-9][0-9]* ic_heartbeats_missed=0 .*verdict=0$'
expect_not_host '^hv: panic'

# The host's lines for the doors the module opened. com1-dlab: with COM1's
# DLAB set and divisor 0xffff, the host's line for its MSR read is in the host's
# log and in the serial log (COM2), and the read took under 10 ms (the case).
expect_host '^hv: msr: read of MSR 0xc0011fff refused with #GP' "com1-dlab's MSR"
expect '^hv: msr: read of MSR 0xc0011fff refused with #GP' "com1-dlab's MSR on COM2"
# port-string: 0x2f8 was already reported by port-empty-bus (one line per port)
expect_host '^hv: io: guest string I/O on port 0x92 refused: system control port A: fast reset$'
# port-cmos (the kernel's boot already writes the CMOS: the line is the first write's)
expect_host '^hv: io: guest writes to the CMOS are dropped \(further ones not reported\)$'
# sint-vector: 0x14 and 0xf5 (0xff has 0xf5's reason: one line per reason)
expect_host '^hv: hyperv: wrmsr 0x40000092 value 0x[0-9a-f]+ refused with #GP: unmasked with an exception vector \(16-31\)$'
expect_host '^hv: hyperv: wrmsr 0x40000092 value 0x[0-9a-f]+ refused with #GP: unmasked with a vector the host owns$'
# ioapic-entry: pin 23 unmasked with vectors 0x05, 0x1f, 0xf4, 0xf5, 0xff and
# delivery modes SMI, INIT, ExtINT, and the ID register (one line per reason)
for why in 'unmasked with vector below 16' 'unmasked with an exception vector \(16-31\)' \
    'unmasked with a vector the host owns' 'unmasked with delivery mode SMI' \
    'unmasked with delivery mode INIT' 'unmasked with delivery mode ExtINT'; do
    expect_host "^hv: ioapic: guest entry 0x[0-9a-f]{8} for pin 23 refused: $why \(further ones counted\)\$"
done
expect_host '^hv: ioapic: guest write of 0x0f000000 to register 0x0 refused: the ID, version and arbitration registers are the host.s \(further ones counted\)$'
expect_host '^hv: summary .* ioapic_refused=9 '
# invd: QEMU 7.2's TCG checks INVD against the WBINVD intercept, so it never
# exits there (invd=0); where it exits (KVM), the host says what it did.
invd=$(grep -om1 ' invd=[0-9]*' "$HOSTLOG.txt" | cut -d= -f2)
if [ "${invd:-0}" != 0 ]; then
    expect_host '^hv: cpu: guest INVD executed as WBINVD$'
else
    expect_not_host 'guest INVD executed'
fi

# port-host-log wrote "hv: forged-by-vmbhv-attack" and "hv: exit: verdict=0"
# lines to COM2 and debugcon: neither reached the host's record nor the
# serial log (COM2 shares it); the one verdict line is the host's own.
expect_not_host 'forged-by-vmbhv-attack'
expect_not 'forged-by-vmbhv-attack'
v=$(grep -c 'hv: exit: verdict=' "$HOSTLOG.txt")
[ "$v" = 1 ] || fail "$v verdict lines in the host's log, expected the host's one"
v=$(grep -c 'hv: exit: verdict=' "$LOG.txt")
[ "$v" = 1 ] || fail "$v verdict lines in the serial log, expected the host's one"
