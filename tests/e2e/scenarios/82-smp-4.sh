# A 4-CPU machine, a 4-VP guest: as 81-smp-2 with the channels moved to each
# of the four CPUs in turn and CPU 3 taken offline and back.
smp_machine 4
