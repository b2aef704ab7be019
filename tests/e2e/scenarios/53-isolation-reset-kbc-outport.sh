# A guest that writes the keyboard controller's output port (command 0xd1 to
# port 0x64, then 0xfe to port 0x60: bit 0, the reset line, low) resets the
# machine: the guest-failure verdict, the door named.
with_attack_module reset-kbc-outport
boot --timeout 120
expect_fatal_attack reset-kbc-outport 1
expect_host "^hv: guest: reset through .*keyboard controller's output port"
