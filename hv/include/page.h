/* The one page size: x86's 4 KiB, in which the heap, the nested and guest
 * page tables, the guest's layout, its EFI memory map and the Hyper-V wire
 * (the TLFS's PAGE_SIZE) all count. Unsigned int: mask 64-bit addresses
 * with ~(uint64_t)(PAGE_SIZE - 1). */
#ifndef HV_PAGE_H
#define HV_PAGE_H

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u

#endif
