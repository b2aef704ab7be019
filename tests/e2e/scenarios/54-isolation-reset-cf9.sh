# A guest that writes 0x06 (system reset, reset CPU) to the reset control
# register at port 0xcf9 resets the machine: the guest-failure verdict, the
# door named.
with_attack_module reset-cf9
boot --timeout 120
expect_fatal_attack reset-cf9 1
expect_host '^hv: guest: reset through .*0xcf9'
