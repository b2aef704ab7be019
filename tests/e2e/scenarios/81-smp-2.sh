# A 2-CPU machine, a 2-VP guest: the hypervisor starts the AP the MADT lists
# (INIT, SIPI, SIPI into its trampoline below 1 MiB), the guest's own SIPI
# (through HV_X64_MSR_ICR) starts VP 1 on it; the guest sees both CPUs, the
# ICs' channel interrupts arrive on the CPU each channel names, on CPU 1 and
# then CPU 0 (MODIFYCHANNEL); CPU 1 goes offline and online again (INIT and
# SIPI once more) and takes interrupts again; one verdict, whole lines.
smp_machine 2
