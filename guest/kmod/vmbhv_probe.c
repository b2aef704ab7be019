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
 * megabytes inside that window. See README.md for every line it prints.
 * The test device's channel is never opened.
 */
#define pr_fmt(fmt) "vmbhv-probe: " fmt

#include <linux/hyperv.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/xarray.h>

/* Class GUID of vmbhv's "test" device kind: eec1e1e7-2dea-409d-97ec-019117e67f6f */
#define VMBHV_TEST_GUID                                                                            \
	GUID_INIT(0xeec1e1e7, 0x2dea, 0x409d, 0x97, 0xec, 0x01, 0x91, 0x17, 0xe6, 0x7f, 0x6f)

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
	u64 base, size, opt, align;
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
	if (!base || !size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(opt) ||
	    base + size - 1 < base || base + size + opt - 1 < base + size - 1) {
		pr_info("FAIL relid=%u window is empty, unaligned or wraps\n", relid);
		return NULL;
	}
	if (size != (u64)o->mmio_megabytes << 20)
		pr_info("FAIL relid=%u window size 0x%llx != mmio_mb %u\n", relid, size,
			o->mmio_megabytes);
	if (opt > (u64)mmio_optional_mb(o) << 20)
		pr_info("FAIL relid=%u optional 0x%llx > mmio_optional_mb %u\n", relid, opt,
			mmio_optional_mb(o));

	/* Largest power of two <= size that keeps base an aligned candidate. */
	align = min_t(u64, rounddown_pow_of_two(size), base & -base);
	err = vmbus_allocate_mmio(&res, hdev, base, base + size - 1, size, align, false);
	if (!err && res->start < base)
		err = alloc_fenced(hdev, &res, base, size, align, relid);
	if (err) {
		pr_info("vmbus_allocate_mmio failed err=%d relid=%u\n", err, relid);
		return NULL;
	}
	pr_info("vmbus_allocate_mmio ok start=0x%llx size=0x%llx relid=%u\n", (u64)res->start,
		(u64)resource_size(res), relid);
	if (res->start < base || res->end > base + size - 1)
		pr_info(
		    "FAIL relid=%u allocation 0x%llx-0x%llx is outside the window 0x%llx-0x%llx\n",
		    relid, (u64)res->start, (u64)res->end, base, base + size - 1);
	return res;
}

/* What a bound test device holds until remove. */
struct test_state {
	struct resource *res;
	bool open;
};

/* The echo exchange, one packet in flight at a time (probes run one by one). */
static struct {
	struct completion done;
	u8 buf[VMBHV_ECHO_MAX];
	u32 len;
	u64 id;
} echo;

static void test_channel_cb(void *context)
{
	struct hv_device *hdev = context;
	u32 len = 0;
	u64 id = 0;

	if (!vmbus_recvpacket(hdev->channel, echo.buf, sizeof(echo.buf), &len, &id) && len) {
		echo.len = len;
		echo.id = id;
		complete(&echo.done);
	}
}

/* The test device echoes every in-band packet: send a few sizes, check every
 * byte and the transaction id of what comes back. */
static void echo_check(struct hv_device *hdev, u32 relid)
{
	static const u32 sizes[] = { 8, 256, VMBHV_ECHO_MAX };
	u8 *out = kmalloc(VMBHV_ECHO_MAX, GFP_KERNEL);
	unsigned int i, j;
	int err;

	if (!out)
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < sizes[i]; j++)
			out[j] = (u8)(j * 7 + sizes[i] + relid);
		reinit_completion(&echo.done);
		err = vmbus_sendpacket(hdev->channel, out, sizes[i], 0x7600 + i, VM_PKT_DATA_INBAND,
				       0);
		if (err || !wait_for_completion_timeout(&echo.done, 2 * HZ)) {
			pr_info("FAIL relid=%u echo of %u bytes: %s err=%d\n", relid, sizes[i],
				err ? "send failed" : "no answer", err);
			goto out;
		}
		if (echo.len != sizes[i] || echo.id != 0x7600 + i ||
		    memcmp(echo.buf, out, sizes[i])) {
			pr_info("FAIL relid=%u echo of %u bytes came back as %u bytes, id 0x%llx\n",
				relid, sizes[i], echo.len, echo.id);
			goto out;
		}
	}
	pr_info("echo ok relid=%u sizes=8,256,%u\n", relid, VMBHV_ECHO_MAX);
out:
	kfree(out);
}

static int test_probe(struct hv_device *hdev, const struct hv_vmbus_device_id *id)
{
	u32 relid = hdev->channel->offermsg.child_relid;
	struct test_state *st = kzalloc(sizeof(*st), GFP_KERNEL);
	int err;

	if (!st)
		return -ENOMEM;
	st->res = check_window(hdev);
	/* Opening runs the host's GPADL and OPENCHANNEL paths against the real
	 * guest driver; remove closes it again (CLOSECHANNEL, GPADL teardown). */
	err = vmbus_open(hdev->channel, VMBHV_RING_SIZE, VMBHV_RING_SIZE, NULL, 0, test_channel_cb,
			 hdev);
	st->open = !err;
	if (err) {
		pr_info("vmbus_open failed err=%d relid=%u\n", err, relid);
	} else {
		pr_info("vmbus_open ok relid=%u\n", relid);
		echo_check(hdev, relid);
	}
	hv_set_drvdata(hdev, st);
	return 0;
}

static int test_remove(struct hv_device *hdev)
{
	struct test_state *st = hv_get_drvdata(hdev);
	struct resource *res = st ? st->res : NULL;
	u64 start, size;

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
	{},
};
MODULE_DEVICE_TABLE(vmbus, id_table);

static struct hv_driver test_driver = {
	.name = KBUILD_MODNAME,
	.id_table = id_table,
	.probe = test_probe,
	.remove = test_remove,
};

static int __init vmbhv_probe_init(void)
{
	int err, n = 0;

	init_completion(&echo.done);
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
