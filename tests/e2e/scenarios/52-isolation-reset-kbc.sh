# A guest that sends the keyboard controller the reset-pulse command (0xfe to
# port 0x64) resets the machine: the guest-failure verdict, the door named.
with_attack_module reset-kbc
boot --timeout 120
expect_fatal_attack reset-kbc 1
expect_host '^hv: guest: reset through .*keyboard controller \(reset pulse'
