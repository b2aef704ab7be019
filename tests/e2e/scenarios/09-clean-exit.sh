# Banner and a clean end through isa-debug-exit when there is no guest to run.
boot --timeout 60
expect '^boot: vmbhv loader '
expect '^hv: boot: vmbhv [0-9.]+ .* hypervisor$'
expect '^hv: svm: enabled \(EFER.SVME=1\)'
expect '^hv: guest: no kernel configured: nothing to run$'
expect '^hv: exit: verdict=0$'
expect_not '^hv: power: ACPI S5' "isa-debug-exit ends the run first"
expect_status 0
