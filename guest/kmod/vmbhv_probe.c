// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * vmbhv_probe - what the guest received from vmbhv's VMBus host.
 *
 * Linux shows no offer fields beyond the GUIDs in sysfs, so this module prints
 * them. On load, and for every device added later, one line per VMBus device
 * (its primary channel's offer):
 *
 *   vmbhv-probe: channel relid=<n> class=<guid> instance=<guid> mmio_mb=<n> mmio_optional_mb=<n>
 *
 * It also binds to vmbhv's "test" device class. For each test device it
 * decodes the MMIO window the host granted from the offer's user-defined
 * bytes, then asks the guest's own vmbus_allocate_mmio() for the required
 * megabytes inside that window, opens the channel and checks the host's echo
 * byte for byte. With bench=1 it then measures echo throughput on the first
 * test channel and the guest's own memcpy ("vmbhv-bench:" lines). With
 * bench_cpus=1, writing 1 to /sys/module/vmbhv_probe/parameters/bench_cpus
 * streams echoes on every open test channel at once, each from a kthread
 * bound to the CPU the channel targets, and prints (README.md, "All CPUs")
 *
 *   vmbhv-bench: cpus start channels=<k> size=<n> ms=<n> depth=<n>
 *   vmbhv-bench: cpu <c> relid=<r> target=<t> echo size=<n> packets=<n> bytes=<n> ms=<n>
 * MB/s=<x.xx> errors=<n> off_cpu=<n> vmbhv-bench: all cpus=<distinct> channels=<k> bytes=<n> ms=<n>
 * echo=<x.xx> errors=<n>
 *
 * It also binds to vmbhv's "checksum" device class: it opens each checksum
 * channel and checks the host's answer (length and CRC-32) to a few packets.
 * See README.md for every line it prints.
 */
#define pr_fmt(fmt) "vmbhv-probe: " fmt

#include <linux/atomic.h>
#include <asm/apic.h>
#include <asm/unaligned.h>
#include <linux/bottom_half.h>
#include <linux/hyperv.h>
#include <linux/ioport.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/completion.h>
#include <linux/crc32.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/xarray.h>

/* Class GUID of vmbhv's "test" device kind: eec1e1e7-2dea-409d-97ec-019117e67f6f */
#define VMBHV_TEST_GUID                                                                            \
	GUID_INIT(0xeec1e1e7, 0x2dea, 0x409d, 0x97, 0xec, 0x01, 0x91, 0x17, 0xe6, 0x7f, 0x6f)

/* Class GUID of vmbhv's "checksum" device kind: 8b149fc5-b8fb-40e9-986a-060931dc4a20 */
#define VMBHV_CHECKSUM_GUID                                                                        \
	GUID_INIT(0x8b149fc5, 0xb8fb, 0x40e9, 0x98, 0x6a, 0x06, 0x09, 0x31, 0xdc, 0x4a, 0x20)
static const guid_t checksum_guid = VMBHV_CHECKSUM_GUID;

/*
 * Start of the test device's user-defined bytes (offer.u.std.user_def, 120
 * bytes), little endian, as written by the host. Bytes 32..119 are zero.
 */
struct vmbhv_test_window {
	__le32 magic;	 /* VMBHV_TEST_MAGIC: the bytes 'V' 'M' 'B' 'H' */
	__le32 version;	 /* VMBHV_TEST_VERSION */
	__le64 base;	 /* guest physical address of the window */
	__le64 size;	 /* bytes: the required mmio_megabytes << 20 */
	__le64 optional; /* optional bytes granted, right after the window */
} __packed;
#define VMBHV_TEST_MAGIC   0x48424d56 /* "VMBH" read as a little-endian u32 */
#define VMBHV_TEST_VERSION 1
#define VMBHV_RING_SIZE	   (4 * PAGE_SIZE) /* per direction, header page included */
#define VMBHV_ECHO_MAX	   2048		   /* largest echo packet, a multiple of 8 */
static_assert(sizeof(struct vmbhv_test_window) <= MAX_USER_DEFINED_BYTES);

static struct bus_type *vmbus; /* hv_vmbus's bus, known once we registered */
static DEFINE_XARRAY(printed); /* relids whose channel line was printed */

/* The u16 after sub_channel_index: Linux 6.1 calls it reserved3; the host puts
 * its MmioMegabytesOptional there. */
static u16 mmio_optional_mb(const struct vmbus_channel_offer *o)
{
	return o->reserved3;
}

static void print_channel(struct hv_device *hdev)
{
	const struct vmbus_channel_offer_channel *m = &hdev->channel->offermsg;

	/* Once per relid: the load-time walk may race with the bus notifier. */
	if (xa_insert(&printed, m->child_relid, xa_mk_value(1), GFP_KERNEL) == -EBUSY)
		return;
	pr_info("channel relid=%u class=%pUl instance=%pUl mmio_mb=%u mmio_optional_mb=%u\n",
		m->child_relid, &m->offer.if_type, &m->offer.if_instance, m->offer.mmio_megabytes,
		mmio_optional_mb(&m->offer));
}

static int walk_one(struct device *dev, void *count)
{
	print_channel(device_to_hv_device(dev));
	++*(int *)count;
	return 0;
}

static int bus_event(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hv_device *hdev = device_to_hv_device(data);
	const struct vmbus_channel_offer_channel *m = &hdev->channel->offermsg;

	if (action == BUS_NOTIFY_ADD_DEVICE)
		print_channel(hdev);
	else if (action == BUS_NOTIFY_DEL_DEVICE && xa_erase(&printed, m->child_relid))
		pr_info("channel relid=%u class=%pUl instance=%pUl removed\n", m->child_relid,
			&m->offer.if_type, &m->offer.if_instance);
	return NOTIFY_DONE;
}

static struct notifier_block bus_nb = { .notifier_call = bus_event };

/*
 * vmbus_allocate_mmio() uses min/max only to pick among the VMBus ACPI ranges;
 * inside a range it takes the first free aligned slot from the range's start.
 * When that slot (*res) lies below the window, fence [slot, base) off in
 * iomem_resource, where vmbus_allocate_mmio() skips slots it cannot claim, and
 * ask again. The fence is released right away.
 */
static int alloc_fenced(struct hv_device *hdev, struct resource **res, u64 base, u64 size,
			u64 align, u32 relid)
{
	u64 below = (*res)->start;
	struct resource *fence;
	int err;

	vmbus_free_mmio(below, size);
	fence = request_mem_region(below, base - below, "vmbhv-probe fence");
	pr_info("vmbus_allocate_mmio first fit 0x%llx is below the window; %s 0x%llx-0x%llx and "
		"retrying relid=%u\n",
		below, fence ? "fenced off" : "could not fence off", below, base - 1, relid);
	err = vmbus_allocate_mmio(res, hdev, base, base + size - 1, size, align, false);
	if (fence)
		release_mem_region(below, base - below);
	return err;
}

/* Decodes the window the host put in the offer and allocates the required
 * megabytes in it with the guest's own allocator; NULL when there is nothing
 * to allocate or a check failed (reported). */
static struct resource *check_window(struct hv_device *hdev)
{
	const struct vmbus_channel_offer *o = &hdev->channel->offermsg.offer;
	u32 relid = hdev->channel->offermsg.child_relid;
	struct vmbhv_test_window w;
	struct resource *res = NULL;
	u64 base, size, opt, span, align;
	int err;

	print_channel(hdev);
	memcpy(&w, o->u.std.user_def, sizeof(w));
	if (le32_to_cpu(w.magic) != VMBHV_TEST_MAGIC ||
	    le32_to_cpu(w.version) != VMBHV_TEST_VERSION) {
		pr_info("FAIL relid=%u user-defined bytes: magic=0x%08x version=%u, want "
			"magic=0x%08x version=%u\n",
			relid, le32_to_cpu(w.magic), le32_to_cpu(w.version), VMBHV_TEST_MAGIC,
			VMBHV_TEST_VERSION);
		return NULL;
	}
	base = le64_to_cpu(w.base);
	size = le64_to_cpu(w.size);
	opt = le64_to_cpu(w.optional);
	pr_info("test window base=0x%llx size=0x%llx optional=0x%llx relid=%u\n", base, size, opt,
		relid);

	/* A channel that asked for no MMIO gets no window: nothing to allocate. */
	if (!o->mmio_megabytes && !mmio_optional_mb(o) && !base && !size && !opt) {
		pr_info("vmbus_allocate_mmio none requested relid=%u\n", relid);
		return NULL;
	}
	/* The required part is allocated; a channel that asked only for optional
	 * megabytes allocates in its optional grant instead. */
	span = size ? size : opt;
	if (!base || !span || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(opt) ||
	    base + span - 1 < base || base + size + opt - 1 < base + span - 1) {
		pr_info("FAIL relid=%u window is empty, unaligned or wraps\n", relid);
		return NULL;
	}
	if (size != (u64)o->mmio_megabytes << 20)
		pr_info("FAIL relid=%u window size 0x%llx != mmio_mb %u\n", relid, size,
			o->mmio_megabytes);
	if (opt > (u64)mmio_optional_mb(o) << 20)
		pr_info("FAIL relid=%u optional 0x%llx > mmio_optional_mb %u\n", relid, opt,
			mmio_optional_mb(o));

	/* Largest power of two <= span that keeps base an aligned candidate. */
	align = min_t(u64, rounddown_pow_of_two(span), base & -base);
	err = vmbus_allocate_mmio(&res, hdev, base, base + span - 1, span, align, false);
	if (!err && res->start < base)
		err = alloc_fenced(hdev, &res, base, span, align, relid);
	if (err) {
		pr_info("vmbus_allocate_mmio failed err=%d relid=%u\n", err, relid);
		return NULL;
	}
	pr_info("vmbus_allocate_mmio ok start=0x%llx size=0x%llx relid=%u\n", (u64)res->start,
		(u64)resource_size(res), relid);
	if (res->start < base || res->end > base + span - 1)
		pr_info(
		    "FAIL relid=%u allocation 0x%llx-0x%llx is outside the window 0x%llx-0x%llx\n",
		    relid, (u64)res->start, (u64)res->end, base, base + span - 1);
	return res;
}

/* What a bound test device holds until remove. The channel callback (a
 * tasklet) fills the receive side: one awaited packet for the echo check, or
 * a stream of numbered echoes for the benchmark. */
struct test_state {
	struct hv_device *hdev;
	struct resource *res;
	u32 relid;
	bool open;
	bool checksum;		/* a checksum device, not a test device */
	bool stream;		/* false: one packet awaited (done, len, id) */
	struct completion done; /* the awaited packet arrived */
	u32 len;
	u64 id;
	wait_queue_head_t wq;  /* stream: an echo arrived */
	u32 size;	       /* stream: every echo has this size ... */
	u64 next;	       /* ... and the ids next, next + 1, ... */
	atomic64_t got;	       /* stream: echoes received */
	atomic64_t bad;	       /* stream: echoes that were not what was sent */
	u32 cpu;	       /* stream: the channel's target CPU ... */
	atomic64_t off_cpu;    /* ... and echoes whose interrupt came elsewhere */
	struct list_head node; /* in open_tests while open (test devices) */
	u8 rx[VMBUS_DEFAULT_MAX_PKT_SIZE] __aligned(8);
};

/*
 * Benchmark packets: the 8-byte little-endian word w of packet seq holds
 * bench_word(seq, w), so every byte depends on the sequence number (the
 * packet's transaction id) and its offset. Sizes are multiples of 8.
 */
static u64 bench_word(u64 seq, u32 w)
{
	return ((seq << 32) | w) * 0x9e3779b97f4a7c15ULL;
}

static void bench_fill(u8 *buf, u32 size, u64 seq)
{
	__le64 *p = (__le64 *)buf;
	u32 w;

	for (w = 0; w < size / 8; w++)
		p[w] = cpu_to_le64(bench_word(seq, w));
}

/* Offset of the first byte of buf that is not packet seq's, or size. */
static u32 bench_mismatch(const u8 *buf, u32 size, u64 seq, u8 *got, u8 *want)
{
	const __le64 *p = (const __le64 *)buf;
	u64 x, y;
	u32 w, b;

	for (w = 0; w < size / 8; w++) {
		x = le64_to_cpu(p[w]);
		y = bench_word(seq, w);
		if (x == y)
			continue;
		for (b = 0; (u8)(x >> (8 * b)) == (u8)(y >> (8 * b)); b++)
			;
		*got = x >> (8 * b);
		*want = y >> (8 * b);
		return w * 8 + b;
	}
	return size;
}

/* One echo of the stream: the next id, the stream's size, every byte. */
static void bench_receive(struct test_state *st, u32 len, u64 id)
{
	u64 seq = st->next++;
	u8 got = 0, want = 0;
	u32 off = len == st->size ? bench_mismatch(st->rx, len, seq, &got, &want) : len;
	s64 n;

	if (id != seq || len != st->size || off != len) {
		n = atomic64_inc_return(&st->bad);
		if (n <= 4 && off != len)
			pr_info(
			    "FAIL relid=%u bench echo seq=%llu size=%u: byte %u is 0x%02x, want "
			    "0x%02x\n",
			    st->relid, seq, len, off, got, want);
		else if (n <= 4)
			pr_info("FAIL relid=%u bench echo seq=%llu size=%u came back as id %llu, "
				"%u bytes\n",
				st->relid, seq, st->size, id, len);
	}
	/* The callback runs where the host raised the channel's interrupt. */
	if (smp_processor_id() != st->cpu)
		atomic64_inc(&st->off_cpu);
	atomic64_inc(&st->got);
	wake_up(&st->wq);
}

static void test_channel_cb(void *context)
{
	struct test_state *st = context;
	u32 len = 0;
	u64 id = 0;

	while (!vmbus_recvpacket(st->hdev->channel, st->rx, sizeof(st->rx), &len, &id) && len) {
		if (READ_ONCE(st->stream)) {
			bench_receive(st, len, id);
			continue;
		}
		st->len = len;
		st->id = id;
		complete(&st->done);
	}
}

/* The test device echoes every in-band packet: send a few sizes, check every
 * byte and the transaction id of what comes back. */
static void echo_check(struct test_state *st)
{
	static const u32 sizes[] = { 8, 256, VMBHV_ECHO_MAX };
	u8 *out = kmalloc(VMBHV_ECHO_MAX, GFP_KERNEL);
	u32 relid = st->relid;
	unsigned int i, j;
	int err;

	if (!out)
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = (u8)(j * 7 + sizes[i] + relid);
		reinit_completion(&st->done);
		err = vmbus_sendpacket(st->hdev->channel, out, sizes[i], 0x7600 + i,
				       VM_PKT_DATA_INBAND, 0);
		if (err || !wait_for_completion_timeout(&st->done, 2 * HZ)) {
			pr_info("FAIL relid=%u echo of %u bytes: %s err=%d\n", relid, sizes[i],
				err ? "send failed" : "no answer", err);
			goto out;
		}
		if (st->len != sizes[i] || st->id != 0x7600 + i || memcmp(st->rx, out, sizes[i])) {
			pr_info("FAIL relid=%u echo of %u bytes came back as %u bytes, id 0x%llx\n",
				relid, sizes[i], st->len, st->id);
			goto out;
		}
	}
	pr_info("echo ok relid=%u sizes=8,256,%u\n", relid, VMBHV_ECHO_MAX);
out:
	kfree(out);
}

/* The checksum device answers every in-band packet with its length and the
 * CRC-32 of its bytes (8 bytes, little endian): send a few sizes, check both. */
static void checksum_check(struct test_state *st)
{
	static const u32 sizes[] = { 8, 256, VMBHV_ECHO_MAX };
	u8 *out = kmalloc(VMBHV_ECHO_MAX, GFP_KERNEL);
	u32 relid = st->relid, want, len, crc;
	unsigned int i, j;
	int err;

	if (!out)
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = (u8)(j * 13 + sizes[i] + relid);
		want = crc32_le(~0U, out, sizes[i]) ^ ~0U;
		reinit_completion(&st->done);
		err = vmbus_sendpacket(st->hdev->channel, out, sizes[i], 0x6300 + i,
				       VM_PKT_DATA_INBAND, 0);
		if (err || !wait_for_completion_timeout(&st->done, 2 * HZ)) {
			pr_info("FAIL relid=%u checksum of %u bytes: %s err=%d\n", relid, sizes[i],
				err ? "send failed" : "no answer", err);
			goto out;
		}
		len = get_unaligned_le32(st->rx);
		crc = get_unaligned_le32(st->rx + 4);
		if (st->len != 8 || st->id != 0x6300 + i || len != sizes[i] || crc != want) {
			pr_info(
			    "FAIL relid=%u checksum of %u bytes: answer of %u bytes, id 0x%llx, "
			    "length %u crc32 0x%08x, want %u 0x%08x\n",
			    relid, sizes[i], st->len, st->id, len, crc, sizes[i], want);
			goto out;
		}
	}
	pr_info("checksum ok relid=%u sizes=8,256,%u crc32=0x%08x\n", relid, VMBHV_ECHO_MAX, want);
out:
	kfree(out);
}

/* --- bench=1: echo throughput and the guest's own memcpy -------------------- */

static bool bench;
module_param(bench, bool, 0444);
MODULE_PARM_DESC(bench, "measure echo throughput on the first test channel (vmbhv-bench: lines)");
static unsigned int bench_ms = 1000;
module_param(bench_ms, uint, 0444);
MODULE_PARM_DESC(bench_ms, "milliseconds per echo packet size (memcpy: a quarter, at least 100)");
static unsigned int bench_depth = 32;
module_param(bench_depth, uint, 0444);
MODULE_PARM_DESC(bench_depth, "echo packets in flight at most (also bounded by the ring)");
static atomic_t bench_claimed = ATOMIC_INIT(0);

#define VMBHV_BENCH_RING_SIZE (64 * PAGE_SIZE) /* per direction with bench=1 or bench_cpus=1 */
#define VMBHV_BENCH_MAX	      (VMBUS_DEFAULT_MAX_PKT_SIZE - sizeof(struct vmpacket_descriptor))
#define VMBHV_MEMCPY_MAX      SZ_1M
/*
 * memcpy's destination starts an odd number of pages after the source's end:
 * two buffers a multiple of 1 MiB apart map to the same entry of QEMU's
 * direct-mapped software TLB, and under TCG every byte of such a copy misses
 * it (about 20 MB/s instead of about 250).
 */
#define VMBHV_MEMCPY_SKEW (5 * PAGE_SIZE)
#define VMBHV_MEMCPY_BUF  (2 * VMBHV_MEMCPY_MAX + VMBHV_MEMCPY_SKEW)
static const u32 bench_sizes[] = { 64, 512, 1024, VMBHV_BENCH_MAX };
static const u32 memcpy_sizes[] = { 64, 512, 1024, VMBHV_BENCH_MAX, SZ_64K, VMBHV_MEMCPY_MAX };
static_assert(VMBHV_BENCH_MAX == 4080 && VMBHV_BENCH_MAX % 8 == 0);

#define bench_info(fmt, ...) printk(KERN_INFO "vmbhv-bench: " fmt, ##__VA_ARGS__)

/* bytes per ns in MB/s (10^6 bytes per second) with two decimals: "123.45" */
static void bench_rate(char *s, size_t n, u64 bytes, u64 ns)
{
	u64 centi = div64_u64(bytes * 100000, max_t(u64, ns, 1));

	snprintf(s, n, "%llu.%02llu", centi / 100, centi % 100);
}

/* What one stream of echoes of one size did. */
struct bench_result {
	u64 got;    /* echoes back */
	u64 errors; /* wrong or missing echoes, a failed send */
	u64 ns;	    /* how long it ran */
	u64 depth;  /* packets in flight at most */
};

/*
 * Echoes packets of one size for bench_ms: bursts of up to depth packets sent
 * with softirqs held off (so the echoes queue up in the host-to-guest ring and
 * arrive in one callback run), then waits until every one is back. The host
 * echoes as it drains, and drops an echo that does not fit its ring, so the
 * depth is bounded by what the host-to-guest ring holds.
 */
static void bench_stream(struct test_state *st, u32 size, u8 *out, u64 *seq, struct bench_result *r)
{
	struct vmbus_channel *ch = st->hdev->channel;
	u64 framed = sizeof(struct vmpacket_descriptor) + ALIGN(size, 8) + sizeof(u64);
	u64 room = (VMBHV_BENCH_RING_SIZE - PAGE_SIZE) / framed - 1;
	u64 depth = clamp_t(u64, bench_depth, 1, room);
	u64 sent = 0, t0, end, seq0 = *seq;
	int err = 0;

	st->size = size;
	st->next = seq0;
	st->cpu = READ_ONCE(ch->target_cpu);
	atomic64_set(&st->got, 0);
	atomic64_set(&st->bad, 0);
	atomic64_set(&st->off_cpu, 0);
	WRITE_ONCE(st->stream, true);
	t0 = ktime_get_ns();
	end = t0 + (u64)bench_ms * NSEC_PER_MSEC;
	do {
		local_bh_disable();
		while (sent - atomic64_read(&st->got) < depth) {
			bench_fill(out, size, seq0 + sent);
			err = vmbus_sendpacket(ch, out, size, seq0 + sent, VM_PKT_DATA_INBAND, 0);
			if (err)
				break;
			sent++;
		}
		local_bh_enable();
		if (err && err != -EAGAIN) {
			pr_info("FAIL relid=%u bench send of %u bytes failed err=%d\n", st->relid,
				size, err);
			break;
		}
		if (!wait_event_timeout(st->wq, atomic64_read(&st->got) == sent, 2 * HZ)) {
			pr_info(
			    "FAIL relid=%u bench echo of %u bytes: no answer, %lld of %llu back\n",
			    st->relid, size, (s64)atomic64_read(&st->got), sent);
			break;
		}
	} while (!atomic64_read(&st->bad) && ktime_get_ns() < end);
	r->ns = ktime_get_ns() - t0;
	WRITE_ONCE(st->stream, false);
	r->got = atomic64_read(&st->got);
	r->errors = atomic64_read(&st->bad) + (sent - r->got) + (err && err != -EAGAIN);
	r->depth = depth;
	*seq = seq0 + sent;
}

/* One size on one channel and its "echo size=" line; returns the errors. */
static u64 bench_echo(struct test_state *st, u32 size, u8 *out, u64 *seq)
{
	struct bench_result r;
	char mbs[24];

	bench_stream(st, size, out, seq, &r);
	bench_rate(mbs, sizeof(mbs), r.got * size, r.ns);
	bench_info("echo size=%u packets=%llu bytes=%llu ms=%llu MB/s=%s pkt/s=%llu errors=%llu "
		   "depth=%llu relid=%u\n",
		   size, r.got, r.got * size, div64_u64(r.ns, NSEC_PER_MSEC), mbs,
		   div64_u64(r.got * NSEC_PER_SEC, max_t(u64, r.ns, 1)), r.errors, r.depth,
		   st->relid);
	return r.errors;
}

/* The guest's own memcpy over size bytes, repeated for ms milliseconds. */
static u64 bench_memcpy(u32 size, u8 *dst, const u8 *src, u64 ms)
{
	u64 batch = max_t(u64, 1, SZ_256K / size), n = 0, ns, t0, end, i;
	char mbs[24];

	t0 = ktime_get_ns();
	end = t0 + ms * NSEC_PER_MSEC;
	do {
		for (i = 0; i < batch; i++) {
			memcpy(dst, src, size);
			barrier_data(dst);
		}
		n += batch;
		ns = ktime_get_ns() - t0;
	} while (t0 + ns < end);
	bench_rate(mbs, sizeof(mbs), n * size, ns);
	bench_info("memcpy size=%u copies=%llu bytes=%llu ms=%llu MB/s=%s\n", size, n, n * size,
		   div64_u64(ns, NSEC_PER_MSEC), mbs);
	if (!memcmp(dst, src, size))
		return 0;
	pr_info("FAIL bench memcpy of %u bytes: the copy differs\n", size);
	return 1;
}

static void bench_run(struct test_state *st)
{
	u8 *out = kzalloc(PAGE_SIZE, GFP_KERNEL);
	u8 *src = kvmalloc(VMBHV_MEMCPY_BUF, GFP_KERNEL);
	u8 *dst = src + VMBHV_MEMCPY_MAX + VMBHV_MEMCPY_SKEW;
	u64 seq = 1, errors = 0, ms = max(bench_ms / 4, 100U);
	unsigned int i;

	bench_info("start relid=%u ms=%u depth=%u\n", st->relid, bench_ms, bench_depth);
	if (!out || !src) {
		pr_info("FAIL relid=%u bench: out of memory\n", st->relid);
		errors = 1;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(bench_sizes) && !errors; i++)
		errors += bench_echo(st, bench_sizes[i], out, &seq);
	bench_fill(src, VMBHV_MEMCPY_MAX, 0);
	memset(dst, 0, VMBHV_MEMCPY_MAX);
	for (i = 0; i < ARRAY_SIZE(memcpy_sizes); i++)
		errors += bench_memcpy(memcpy_sizes[i], dst, src, ms);
out:
	bench_info("done errors=%llu relid=%u\n", errors, st->relid);
	kvfree(src);
	kfree(out);
}

/* --- bench_cpus=1: the echo stream on every test channel at once ---------- */

static LIST_HEAD(open_tests); /* test channels open, in probe order */
/* Guards open_tests; a run holds it throughout, so no channel closes under it. */
static DEFINE_MUTEX(open_tests_lock);

/* One channel's part of an all-CPU run, streamed by its own kthread. */
struct cpu_run {
	struct test_state *st;
	struct task_struct *task;
	struct completion ran; /* threadfn is done (kthread_stop before it ran skips it) */
	struct bench_result r;
	u32 target;  /* the channel's target CPU: the kthread is bound there */
	u32 cpu;     /* the CPU the kthread ran on */
	u64 off_cpu; /* echoes whose interrupt arrived on another CPU */
};

static int bench_cpu_thread(void *data)
{
	struct cpu_run *run = data;
	u8 *out = kmalloc(PAGE_SIZE, GFP_KERNEL);
	u64 seq = 1;

	run->cpu = raw_smp_processor_id(); /* bound to one CPU: it stays there */
	if (out)
		bench_stream(run->st, VMBHV_BENCH_MAX, out, &seq, &run->r);
	else
		run->r.errors = 1;
	run->off_cpu = atomic64_read(&run->st->off_cpu);
	kfree(out);
	complete(&run->ran);
	return 0;
}

/* A kthread for st's part, bound to the channel's target CPU, not yet woken. */
static void bench_cpu_spawn(struct cpu_run *run, struct test_state *st)
{
	run->st = st;
	init_completion(&run->ran);
	run->target = READ_ONCE(st->hdev->channel->target_cpu);
	run->task = kthread_create(bench_cpu_thread, run, "vmbhv-bench/%u", run->target);
	if (IS_ERR(run->task)) {
		pr_info("FAIL relid=%u bench_cpus: kthread_create err=%ld\n", st->relid,
			PTR_ERR(run->task));
		run->task = NULL;
		run->r.errors = 1;
		return;
	}
	get_task_struct(run->task); /* kthread_stop after it returned */
	kthread_bind(run->task, run->target);
}

/* The largest echo on every open test channel at once, one kthread each on
 * the channel's target CPU, all woken together; per-channel and aggregate
 * lines. Where the channels point is the caller's choice (check-probe.sh
 * spreads them through sysfs, the guest driver's own MODIFYCHANNEL path). */
static void bench_cpus_run(void)
{
	u64 bytes = 0, errors = 0, ns, t0;
	unsigned int n, k = 0, cpus = 0, i, j;
	struct test_state *st;
	struct cpu_run *runs;
	char mbs[24];

	mutex_lock(&open_tests_lock);
	n = list_count_nodes(&open_tests);
	runs = kcalloc(max(n, 1U), sizeof(*runs), GFP_KERNEL);
	if (!runs) {
		pr_info("FAIL bench_cpus: out of memory\n");
		goto out;
	}
	list_for_each_entry(st, &open_tests, node) bench_cpu_spawn(&runs[k++], st);
	bench_info("cpus start channels=%u size=%u ms=%u depth=%u\n", n, (u32)VMBHV_BENCH_MAX,
		   bench_ms, bench_depth);
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++)
		if (runs[i].task)
			wake_up_process(runs[i].task);
	for (i = 0; i < n; i++) {
		if (!runs[i].task)
			continue;
		wait_for_completion(&runs[i].ran);
		kthread_stop(runs[i].task);
		put_task_struct(runs[i].task);
	}
	ns = ktime_get_ns() - t0;
	for (i = 0; i < n; i++) {
		struct cpu_run *run = &runs[i];
		u64 b = run->r.got * VMBHV_BENCH_MAX;

		bench_rate(mbs, sizeof(mbs), b, run->r.ns);
		bench_info("cpu %u relid=%u target=%u echo size=%u packets=%llu bytes=%llu ms=%llu "
			   "MB/s=%s errors=%llu off_cpu=%llu\n",
			   run->cpu, run->st->relid, run->target, (u32)VMBHV_BENCH_MAX, run->r.got,
			   b, div64_u64(run->r.ns, NSEC_PER_MSEC), mbs, run->r.errors,
			   run->off_cpu);
		bytes += b;
		errors += run->r.errors + run->off_cpu;
		for (j = 0; j < i && runs[j].cpu != run->cpu; j++)
			;
		cpus += j == i;
	}
	bench_rate(mbs, sizeof(mbs), bytes, ns);
	bench_info("all cpus=%u channels=%u bytes=%llu ms=%llu echo=%s errors=%llu\n", cpus, n,
		   bytes, div64_u64(ns, NSEC_PER_MSEC), mbs, errors);
out:
	mutex_unlock(&open_tests_lock);
	kfree(runs);
}

static bool bench_cpus;
/* At load bench_cpus=1 only arms (bench-sized rings for the channels probed);
 * written once the driver is registered, it runs. */
static int bench_cpus_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_bool(val, kp);

	if (!err && bench_cpus && READ_ONCE(vmbus))
		bench_cpus_run();
	return err;
}

static const struct kernel_param_ops bench_cpus_ops = {
	.set = bench_cpus_set,
	.get = param_get_bool,
};
module_param_cb(bench_cpus, &bench_cpus_ops, &bench_cpus, 0644);
MODULE_PARM_DESC(bench_cpus, "open test channels for the all-CPU echo; writing 1 to the "
			     "parameter later runs it on every test channel at once");

static int test_probe(struct hv_device *hdev, const struct hv_vmbus_device_id *id)
{
	struct test_state *st = kzalloc(sizeof(*st), GFP_KERNEL);
	u32 ring = bench || bench_cpus ? VMBHV_BENCH_RING_SIZE : VMBHV_RING_SIZE;
	int err;

	if (!st)
		return -ENOMEM;
	st->hdev = hdev;
	st->relid = hdev->channel->offermsg.child_relid;
	init_completion(&st->done);
	init_waitqueue_head(&st->wq);
	INIT_LIST_HEAD(&st->node);
	st->checksum = guid_equal(&hdev->dev_type, &checksum_guid);
	st->res = st->checksum ? NULL : check_window(hdev);
	/* Opening runs the host's GPADL and OPENCHANNEL paths against the real
	 * guest driver; remove closes it again (CLOSECHANNEL, GPADL teardown). */
	err = vmbus_open(hdev->channel, ring, ring, NULL, 0, test_channel_cb, st);
	st->open = !err;
	if (err) {
		pr_info("vmbus_open failed err=%d relid=%u\n", err, st->relid);
	} else {
		pr_info("vmbus_open ok relid=%u\n", st->relid);
		if (st->checksum) {
			checksum_check(st);
		} else {
			echo_check(st);
			if (bench && !atomic_xchg(&bench_claimed, 1))
				bench_run(st);
			mutex_lock(&open_tests_lock);
			list_add_tail(&st->node, &open_tests);
			mutex_unlock(&open_tests_lock);
		}
	}
	hv_set_drvdata(hdev, st);
	return 0;
}

static int test_remove(struct hv_device *hdev)
{
	struct test_state *st = hv_get_drvdata(hdev);
	struct resource *res = st ? st->res : NULL;
	u64 start, size;

	if (st) {
		mutex_lock(&open_tests_lock);
		list_del_init(&st->node);
		mutex_unlock(&open_tests_lock);
	}
	if (st && st->open) {
		vmbus_close(hdev->channel);
		pr_info("vmbus_close relid=%u\n", hdev->channel->offermsg.child_relid);
	}
	if (res) {
		start = res->start;
		size = resource_size(res);
		vmbus_free_mmio(start, size);
		pr_info("vmbus_free_mmio start=0x%llx size=0x%llx relid=%u\n", start, size,
			hdev->channel->offermsg.child_relid);
	}
	kfree(st);
	return 0;
}

static const struct hv_vmbus_device_id id_table[] = {
	{ .guid = VMBHV_TEST_GUID },
	{ .guid = VMBHV_CHECKSUM_GUID },
	{},
};
MODULE_DEVICE_TABLE(vmbus, id_table);

static struct hv_driver test_driver = {
	.name = KBUILD_MODNAME,
	.id_table = id_table,
	.probe = test_probe,
	.remove = test_remove,
};

/* --- raise_vectors=: a hostile guest for the hypervisor's interrupt path --- */

static unsigned int raise_vectors[4];
static int raise_count;
module_param_array(raise_vectors, uint, &raise_count, 0444);
MODULE_PARM_DESC(raise_vectors,
		 "vectors (16-255) to raise on this CPU's LAPIC at load, as a self-IPI");

/* Vectors the hypervisor must cope with although no well-behaved guest sends
 * them: 16-31 (exception numbers; Linux's TPR of 0x10 blocks them, so it is
 * lowered meanwhile) and its own timer's. */
static void raise_hostile_vectors(void)
{
	u32 tpr = apic_read(APIC_TASKPRI);
	int i;

	apic_write(APIC_TASKPRI, tpr & ~APIC_TPRI_MASK);
	for (i = 0; i < raise_count; i++) {
		if (raise_vectors[i] < 16 || raise_vectors[i] > 255) {
			pr_info("FAIL raise_vectors: %u is not a vector the LAPIC sends\n",
				raise_vectors[i]);
			continue;
		}
		apic->send_IPI_self(raise_vectors[i]);
		pr_info("raised vector 0x%x on this CPU's LAPIC\n", raise_vectors[i]);
	}
	apic_write(APIC_TASKPRI, tpr);
}

static int __init vmbhv_probe_init(void)
{
	int err, n = 0;

	raise_hostile_vectors();

	err = vmbus_driver_register(&test_driver); /* probes test devices now */
	if (err) {
		pr_info("FAIL vmbus_driver_register err=%d\n", err);
		return err;
	}
	vmbus = test_driver.driver.bus;
	bus_register_notifier(vmbus, &bus_nb);	     /* devices offered from now on */
	bus_for_each_dev(vmbus, NULL, &n, walk_one); /* devices there already */
	pr_info("loaded devices=%d\n", n);
	return 0;
}

static void __exit vmbhv_probe_exit(void)
{
	bus_unregister_notifier(vmbus, &bus_nb);
	vmbus_driver_unregister(&test_driver);
	xa_destroy(&printed);
	pr_info("unloaded\n");
}

module_init(vmbhv_probe_init);
module_exit(vmbhv_probe_exit);
MODULE_DESCRIPTION("vmbhv: print the VMBus offers the guest received; test device MMIO probe");
MODULE_LICENSE("Dual MIT/GPL");
