# A guest that writes SLP_EN with its DSDT's S5 SLP_TYP to PM1a control as
# one 32-bit OUT powers off legitimately: verdict 0 (the run ends in the
# module's insmod, before the guest's checks).
with_attack_module pm1-s5
boot --timeout 120
expect_fatal_attack pm1-s5 0
expect_host '^hv: guest: power-off \(ACPI S5\)$'
expect_host '^hv: exit: verdict=0$'
