# A 4-CPU machine: the hypervisor starts every AP the MADT lists (INIT,
# SIPI, SIPI into its trampoline below 1 MiB), each says it is up and parks
# with GIF=0; the one-VP guest boots beside them, passes its checks and
# powers off, and the run ends once with its verdict. Every host line is whole
# (the log is written one line at a time whichever CPU writes it).
smp_machine 4
