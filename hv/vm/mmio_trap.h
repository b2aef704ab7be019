/* Guest-physical MMIO ranges the hypervisor emulates: a guest load or store
 * there faults and is decoded, and the range's ops answer it. */
#ifndef HV_VM_MMIO_TRAP_H
#define HV_VM_MMIO_TRAP_H

#include <stdint.h>

/* A trapped range's device: off is the byte offset into the range. */
struct mmio_trap_ops {
    uint64_t (*read)(void *ctx, uint64_t off, unsigned size); /* size 1,2,4,8 */
    void (*write)(void *ctx, uint64_t off, unsigned size, uint64_t val);
};

#endif
