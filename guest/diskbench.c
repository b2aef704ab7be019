/* diskbench DEVICE [SECONDS] - make bench's disk numbers (tests/bench/disk.sh):
 * for SECONDS (default 5) each, sequential 1 MiB writes, sequential 1 MiB
 * reads and random 4 KiB reads on DEVICE with O_DIRECT (the page cache would
 * measure the guest's memory, not the disk), then prints
 * "diskbench: seqwrite_kBps=W seqread_kBps=R randread_iops=I bytes=B".
 * The writes destroy what DEVICE held. Built static, without a C library
 * (mkinitramfs.sh). */
#include "nolibc.h"

#define O_RDWR       2
#define O_DIRECT     040000
#define BLKGETSIZE64 0x80081272
#define BIG          (1u << 20)
#define SMALL        4096u
#define USAGE        "diskbench: usage: diskbench DEVICE [SECONDS]\n"

static _Alignas(4096) uint8_t buf[BIG];

/* Runs one phase for seconds: returns the bytes moved, *ops the requests. */
static uint64_t phase(long fd, uint64_t size, bool write, uint32_t chunk, bool random,
                      unsigned seconds, uint64_t *ops)
{
    uint64_t t0 = now_us(), moved = 0, rng = 0x9e3779b97f4a7c15ull, at = 0;
    uint64_t slots = size / chunk;
    *ops = 0;
    while (now_us() - t0 < seconds * 1000000ull) {
        if (random) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            at = rng % slots * chunk;
        } else if (at + chunk > size) {
            at = 0;
        }
        long r = sys(write ? SYS_pwrite64 : SYS_pread64, fd, (long)buf, chunk, (long)at, 0, 0);
        if (r != (long)chunk)
            quit("diskbench: a request failed\n", 1);
        moved += chunk;
        at += chunk;
        (*ops)++;
    }
    if (write && sys(SYS_fdatasync, fd, 0, 0, 0, 0, 0))
        quit("diskbench: fdatasync failed\n", 1);
    return moved * 1000000 / (now_us() - t0);
}

void start(long argc, char **argv)
{
    if (argc < 2)
        quit(USAGE, 2);
    unsigned seconds = number(argc > 2 ? argv[2] : NULL, 5, USAGE);
    long fd = sys(SYS_open, (long)argv[1], O_RDWR | O_DIRECT, 0, 0, 0, 0);
    uint64_t size = 0;
    if (fd < 0 || sys(SYS_ioctl, fd, BLKGETSIZE64, (long)&size, 0, 0, 0) || size < BIG)
        quit("diskbench: cannot open the device, or it is smaller than 1 MiB\n", 1);
    for (uint32_t i = 0; i < BIG; i++)
        buf[i] = (uint8_t)(i * 31 + 7);
    uint64_t w_ops, r_ops, rand_ops;
    uint64_t w = phase(fd, size, true, BIG, false, seconds, &w_ops);
    uint64_t r = phase(fd, size, false, BIG, false, seconds, &r_ops);
    phase(fd, size, false, SMALL, true, seconds, &rand_ops);
    char msg[160], *p = puts_(msg, "diskbench: seqwrite_kBps=");
    p = put(p, w / 1000);
    p = puts_(p, " seqread_kBps=");
    p = put(p, r / 1000);
    p = puts_(p, " randread_iops=");
    p = put(p, rand_ops / seconds);
    p = puts_(p, " bytes=");
    p = put(p, (w_ops + r_ops) * BIG + rand_ops * SMALL);
    *p++ = '\n';
    *p = '\0';
    quit(msg, 0);
}
