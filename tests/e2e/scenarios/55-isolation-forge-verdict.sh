# A guest that prints the hypervisor's pass lines ("hv: exit: verdict=0",
# "hv: summary exits=1 verdict=0") on its console, raw at column 0 and through
# printk, and then resets through port 0x92 must not pass: the verdict is
# the host's (isa-debug-exit, confirmed by the host's own log), not a line
# of the shared serial log.
with_attack_module forge-verdict
boot --timeout 120
expect_fatal_attack forge-verdict 1
expect '^hv: exit: verdict=0$' "the forged line reached the console"
expect '^hv: summary exits=1 verdict=0$' "the forged summary reached the console"
expect_host '^hv: guest: reset through .*port 0x92'
expect_host '^hv: exit: verdict=1$'
expect_not_host 'verdict=0'
