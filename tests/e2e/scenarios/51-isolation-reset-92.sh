# A guest that sets bit 0 of port 0x92 (system control port A, fast reset)
# resets the machine: the run ends there with the guest-failure verdict, and
# the host names the door it came through.
with_attack_module reset-92
boot --timeout 120
expect_fatal_attack reset-92 1
expect_host '^hv: guest: reset through .*port 0x92'
