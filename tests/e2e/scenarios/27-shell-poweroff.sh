# `make run`'s interactive shell: typing `poweroff` at the prompt powers the
# guest off through its own ACPI S5 (busybox's applet signals PID 1, which
# /init traps), so the run ends with verdict 0 and no timeout.
with_guest
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=shell
CFG
type_after "^vmbhv:/# " "poweroff"
boot --timeout 60
expect '^vmbhv-init: poweroff requested$' "PID 1 acted on the shell's poweroff"
expect '^hv: guest: power-off \(ACPI S5\)$'
expect_status 0
