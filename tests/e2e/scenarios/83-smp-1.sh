# A one-CPU machine (what `make run` and the other scenarios use): the MADT
# lists only the BSP, nothing is started, the count says so, and the run
# ends as before.
export QEMU_SMP=1
boot --timeout 60
expect_host '^hv: smp: 1 cpus$'
expect_not_host '^hv: smp: cpu '
expect_not_host '^hv: smp: (MADT|[0-9]+ other CPUs)'
expect_host '^hv: exit: verdict=0$'
expect_status 0
