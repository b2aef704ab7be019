# Without isa-debug-exit the hypervisor powers off through the firmware's FADT.
config << 'CFG'
debug_exit_port = 0
CFG
boot --timeout 60
expect '^hv: exit: verdict=0$'
expect '^hv: power: ACPI S5 \(SLP_TYP [0-9]+\)$'
expect_not 'could not power off'
expect_status 0
