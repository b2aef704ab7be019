// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * vmbhv_attack - a buggy or malicious ring-0 guest against the hypervisor.
 *
 * Each case knocks on one door of the hypervisor (an MSR, an I/O port, an
 * instruction, an interrupt vector, unbacked guest-physical memory) and checks
 * that the guest got the architectural answer the hypervisor promises. One
 * kernel log line per case:
 *
 *   vmbhv-attack: <case> PASS|FAIL <detail>
 *   vmbhv-attack: done cases=<n> passed=<n> failed=<n>
 *
 * cases= (comma list) picks the cases; the default is every non-fatal one
 * but the two that need an assigned virtio-rng (vpci-dma, vpci-msix).
 * Fatal cases (they end the machine) run only when named, one per boot, after
 * the non-fatal ones; each logs "vmbhv-attack: fatal <case>: <what>" first
 * and "<case> FAIL still running ..." if the machine survives it. All the work
 * is done in module init, so insmod returns when the cases are done.
 * README.md lists every case and how it decides.
 */
#define pr_fmt(fmt) "vmbhv-attack: " fmt

#include <linux/acpi.h>
#include <linux/console.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel_stat.h>
#include <linux/ktime.h>
#include <linux/mc146818rtc.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <asm/apic.h>
#include <asm/asm.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/trapnr.h>
#include <asm/tsc.h>

static char *cases;
module_param(cases, charp, 0444);
MODULE_PARM_DESC(cases, "comma list of cases to run (default: every non-fatal case)");

/* --- results --------------------------------------------------------------- */

struct res {
	bool pass;
	size_t len;
	char buf[880]; /* one printk record holds 1024 bytes with its prefix */
};

static __printf(2, 3) void say(struct res *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->len += vscnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
}

/* check: a condition that must hold for the case to pass */
static bool check(struct res *r, bool ok)
{
	if (!ok)
		r->pass = false;
	return ok;
}

static const char *gp(int err)
{
	return err ? "#GP" : "ok";
}

/* --- MSR helpers ----------------------------------------------------------- */

#define MSR_APIC_BASE_ 0x1b
#define MSR_TSC_       0x10
#define MSR_PAT_       0x277
#define MSR_MTRRCAP_   0xfe
#define MSR_MTRRDEF_   0x2ff
#define MSR_EFER_      0xc0000080
#define MSR_SINT2      0x40000092

/*
 * Write w to msr with interrupts off, read it back (*rb, *rberr). When
 * restore is set and the write changed what the MSR reads, orig goes back at
 * once (a host-wide register must not stay changed a moment longer than the
 * test needs). Returns the write's error (-EIO for #GP).
 */
static int try_wrmsr(u32 msr, u64 w, bool restore, u64 orig, u64 *rb, int *rberr)
{
	unsigned long flags;
	int err;

	local_irq_save(flags);
	err = wrmsrl_safe(msr, w);
	*rberr = rdmsrl_safe(msr, rb);
	if (restore && !err && (*rberr || *rb != orig))
		wrmsrl_safe(msr, orig);
	local_irq_restore(flags);
	return err;
}

/* A write that must #GP and leave the MSR reading orig. */
static void must_gp(struct res *r, const char *what, u32 msr, u64 w, u64 orig)
{
	int rberr, err;
	u64 rb = 0;

	err = try_wrmsr(msr, w, true, orig, &rb, &rberr);
	check(r, err && !rberr && rb == orig);
	say(r, " %s=0x%llx:%s", what, w, gp(err));
	if (rberr)
		say(r, ",read-back#GP");
	else if (rb != orig)
		say(r, ",reads=0x%llx", rb);
	if (!err && !rberr && rb != orig)
		say(r, "(restored)");
}

/* A write that must be taken and read back as wanted. */
static void must_take(struct res *r, const char *what, u32 msr, u64 w, u64 want)
{
	int rberr, err;
	u64 rb = 0;

	err = try_wrmsr(msr, w, false, 0, &rb, &rberr);
	check(r, !err && !rberr && rb == want);
	say(r, " %s=0x%llx:%s", what, w, gp(err));
	if (rberr)
		say(r, ",read-back#GP");
	else if (rb != want)
		say(r, ",reads=0x%llx", rb);
}

/* --- the MSR cases -------------------------------------------------------------- */

#define GUEST_APIC_BASE 0xfee00900ull

static void case_msr_apic_base(struct res *r)
{
	u64 v;

	if (rdmsrl_safe(MSR_APIC_BASE_, &v)) {
		check(r, false);
		say(r, "read #GP");
		return;
	}
	check(r, v == GUEST_APIC_BASE);
	say(r, "read=0x%llx (want 0x%llx)", v, GUEST_APIC_BASE);
	must_gp(r, "moved", MSR_APIC_BASE_, v + 0x1000, v);
	must_gp(r, "disabled", MSR_APIC_BASE_, v & ~(1ull << 11), v);
	must_take(r, "same", MSR_APIC_BASE_, v, v);
}

/* Host-wide MSRs: a guest write must #GP, or not be applied. */
struct hostwide {
	u32 msr;
	const char *name;
	u64 flip; /* XORed into the value read; 0: write-only, write our page */
};

static const struct hostwide hostwide[] = {
	{ 0xc0010010, "SYSCFG", 1ull << 19 },  /* MtrrFixDramModEn */
	{ 0xc001001a, "TOP_MEM", 1ull << 23 }, /* 8 MiB more or less */
	{ 0xc001001d, "TOM2", 1ull << 23 },
	{ 0xc0010015, "HWCR", 1ull << 30 },	    /* IRPerfEn */
	{ 0xc0010058, "MMIO_CFG_BASE", 1ull << 2 }, /* BusRange */
	{ 0xc0010020, "PATCH_LOADER", 0 },	    /* write-only */
	{ 0xc0010114, "VM_CR", 1ull << 4 },	    /* SVMDIS */
	{ 0xc0010117, "VM_HSAVE_PA", 0 },	    /* the host's state save area */
	{ 0x3b, "TSC_ADJUST", 1ull << 20 },
	{ 0xc0011020, "LS_CFG", 1ull << 10 },
	{ 0xc0011029, "DE_CFG", 1ull << 1 }, /* LFENCE serializing */
	{ 0x8b, "PATCH_LEVEL", 1 },
};

static void case_msr_host_wide(struct res *r)
{
	void *page = (void *)get_zeroed_page(GFP_KERNEL);
	u64 pa = page ? virt_to_phys(page) : 0x100000;
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(hostwide); i++) {
		const struct hostwide *h = &hostwide[i];
		int rd0, err, rberr;
		u64 v0 = 0, w, rb = 0;
		bool ok;

		rd0 = rdmsrl_safe(h->msr, &v0);
		if (h->flip && !rd0)
			w = v0 ^ h->flip;
		else if (h->flip)
			w = h->flip;
		else
			w = pa; /* a page-aligned address of our own */
		err = try_wrmsr(h->msr, w, !rd0, v0, &rb, &rberr);
		/* PASS: #GP, or the write did not stick (read back, differs) */
		ok = err || (!rberr && rb != w);
		check(r, ok);
		n += ok;
		say(r, "%s%s:", i ? " " : "", h->name);
		if (rd0)
			say(r, "r=#GP");
		else
			say(r, "r=0x%llx", v0);
		say(r, ",w=0x%llx=", w);
		if (err)
			say(r, "#GP");
		else if (rberr)
			say(r, "accepted,unreadable");
		else if (rb != w)
			say(r, "ignored,reads=0x%llx", rb);
		else
			say(r, "APPLIED%s", rd0 ? "" : "(restored)");
	}
	say(r, " refused=%u/%zu", n, ARRAY_SIZE(hostwide));
	if (page)
		free_page((unsigned long)page);
}

static void case_msr_mtrr(struct res *r)
{
	u64 cap = 0, def, base, mask, addr, rb;
	unsigned int bits = boot_cpu_data.x86_phys_bits;
	int err, rberr;

	if (rdmsrl_safe(MSR_MTRRDEF_, &def) || rdmsrl_safe(0x200, &base) ||
	    rdmsrl_safe(0x201, &mask)) {
		check(r, false);
		say(r, "read of MTRRdefType or MTRR pair 0 #GP");
		return;
	}
	rdmsrl_safe(MSR_MTRRCAP_, &cap);
	say(r, "cap=0x%llx def=0x%llx base0=0x%llx mask0=0x%llx phys_bits=%u", cap, def, base, mask,
	    bits);

	/* MTRRdefType: fixed ranges toggled, a valid value; then bit 63 */
	must_take(r, "def", MSR_MTRRDEF_, def ^ (1ull << 10), def ^ (1ull << 10));
	err = try_wrmsr(MSR_MTRRDEF_, def, false, 0, &rb, &rberr);
	check(r, !err && !rberr && rb == def);
	say(r, " def-restore:%s", gp(err));
	must_gp(r, "def|bit63", MSR_MTRRDEF_, def | (1ull << 63), def);

	/* pair 0: 256 MiB of UC at 0xd0000000, valid; then a reserved bit */
	addr = (bits < 64 ? (1ull << bits) - 1 : ~0ull) & ~(u64)(SZ_256M - 1);
	must_take(r, "base0", 0x200, 0xd0000000ull, 0xd0000000ull);
	must_take(r, "mask0", 0x201, addr | (1ull << 11), addr | (1ull << 11));
	must_gp(r, "mask0|bit63", 0x201, addr | (1ull << 11) | (1ull << 63), addr | (1ull << 11));
	err = wrmsrl_safe(0x201, mask) | wrmsrl_safe(0x200, base);
	check(r, !err);
	say(r, " pair0-restore:%s", gp(err));
}

static void case_msr_pat(struct res *r)
{
	u64 p0, w, b7;
	int err, rberr;
	u64 rb;

	if (rdmsrl_safe(MSR_PAT_, &p0)) {
		check(r, false);
		say(r, "read #GP");
		return;
	}
	/* PA7 to UC (or UC- if it is UC): no mapping gets a riskier type */
	b7 = p0 >> 56;
	w = (p0 & ~(0xffull << 56)) | ((b7 == 0 ? 7ull : 0ull) << 56);
	say(r, "read=0x%llx", p0);
	must_take(r, "valid", MSR_PAT_, w, w);
	must_gp(r, "PA7=0x02", MSR_PAT_, (w & ~(0xffull << 56)) | (2ull << 56), w);
	err = try_wrmsr(MSR_PAT_, p0, false, 0, &rb, &rberr);
	check(r, !err && !rberr && rb == p0);
	say(r, " restore:%s%s", gp(err), !rberr && rb == p0 ? "" : ",NOT restored");
}

static void case_msr_unknown(struct res *r)
{
	static const u32 msrs[] = { 0x1a0, 0xc0011000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		u64 v;
		int err = rdmsrl_safe(msrs[i], &v);

		check(r, err);
		if (err)
			say(r, "%s0x%x:#GP", i ? " " : "", msrs[i]);
		else
			say(r, "%s0x%x:reads=0x%llx", i ? " " : "", msrs[i], v);
	}
}

#define EFER_LME_  (1ull << 8)
#define EFER_LMA_  (1ull << 10)
#define EFER_SVME_ (1ull << 12)

static void case_efer(struct res *r)
{
	u64 e;

	if (rdmsrl_safe(MSR_EFER_, &e)) {
		check(r, false);
		say(r, "read #GP");
		return;
	}
	check(r, (e & (EFER_LME_ | EFER_LMA_)) == (EFER_LME_ | EFER_LMA_));
	say(r, "read=0x%llx", e);
	must_gp(r, "LME-cleared", MSR_EFER_, e & ~EFER_LME_, e);
	must_gp(r, "SVME", MSR_EFER_, e | EFER_SVME_, e);
	must_gp(r, "bit20", MSR_EFER_, e | (1ull << 20), e);
	/* LMA is the CPU's: the write is taken, LMA stays */
	must_take(r, "LMA-cleared", MSR_EFER_, e & ~EFER_LMA_, e);
}

static void case_msr_tsc(struct res *r)
{
	const u64 jump = 1000000000000ull; /* 10^12 cycles */
	u64 onesec = (u64)tsc_khz * 1000, t0, t1, t2, t3, m = 0;
	int err, rerr = 0, merr;
	unsigned long flags;
	s64 d1, d3;
	bool moved;

	local_irq_save(flags);
	t0 = rdtsc_ordered();
	err = wrmsrl_safe(MSR_TSC_, t0 + jump);
	t1 = rdtsc_ordered();
	merr = rdmsrl_safe(MSR_TSC_, &m);
	moved = t1 - t0 > jump / 2 && t1 - t0 < jump * 2;
	t2 = rdtsc_ordered();
	/* back: the old value plus the time that passed, only if it moved */
	if (moved)
		rerr = wrmsrl_safe(MSR_TSC_, t2 - jump);
	t3 = rdtsc_ordered();
	local_irq_restore(flags);

	d1 = (s64)(t1 - (t0 + jump));
	d3 = (s64)(t3 - t0);
	check(r, !err && !merr && d1 > -(s64)onesec && d1 < (s64)onesec);
	check(r, moved && !rerr && d3 >= 0 && d3 < (s64)onesec);
	say(r, "tsc_khz=%u before=%llu write=%s after=%llu (%+lld cycles from wanted) rdmsr=%s%llu",
	    tsc_khz, t0, gp(err), t1, d1, merr ? "#GP," : "", m);
	if (moved)
		say(r, " restore=%s now=%llu (%+lld since before)", gp(rerr), t3, d3);
	else
		say(r, " did not move: not restored");
}

/* --- instructions ------------------------------------------------------------------ */

static void case_invd(struct res *r)
{
	wbinvd(); /* no dirty line of ours to lose if INVD ran for real */
	asm volatile("invd" ::: "memory");
	say(r, "returned");
}

/* --- ports ------------------------------------------------------------------------- */

static u16 pm1a_cnt(void)
{
	const struct acpi_generic_address *x = &acpi_gbl_FADT.xpm1a_control_block;

	if (x->address && x->space_id == ACPI_ADR_SPACE_SYSTEM_IO)
		return (u16)x->address;
	return (u16)acpi_gbl_FADT.pm1a_control_block;
}

static void case_port_pm1_straddle(struct res *r)
{
	u16 port = pm1a_cnt();

	if (!check(r, port != 0)) {
		say(r, "no PM1a control block in the FADT");
		return;
	}
	/* SLP_EN (bit 13) with SLP_TYP 0, written as the register's high byte */
	say(r, "pm1a_cnt=0x%x before=0x%04x outb(0x%x,0x20)", port, inw(port), port + 1);
	outb(0x20, port + 1);
	msleep(200);
	say(r, " still running, pm1a_cnt reads 0x%04x", inw(port));
}

static void case_port_cmos(struct res *r)
{
	unsigned long flags;
	u8 v1, v2, w;

	spin_lock_irqsave(&rtc_lock, flags);
	outb(0x8f, 0x70); /* index 0x0f (shutdown status), NMI-disable bit */
	v1 = inb(0x71);
	w = v1 ^ 0x5a;
	outb(0x8f, 0x70);
	outb(w, 0x71);
	outb(0x8f, 0x70);
	v2 = inb(0x71);
	if (v2 != v1) { /* the write went through: put the byte back */
		outb(0x8f, 0x70);
		outb(v1, 0x71);
	}
	outb(0x0f, 0x70); /* leave the NMI mask clear */
	spin_unlock_irqrestore(&rtc_lock, flags);

	check(r, v2 == v1);
	say(r, "index=0x0f read=0x%02x wrote=0x%02x reads=0x%02x%s", v1, w, v2,
	    v2 == v1 ? " (dropped)" : " (APPLIED, put back)");
}

static void case_port_smi(struct res *r)
{
	outb(0, 0xb2);
	msleep(100);
	say(r, "outb(0xb2,0) returned, still running");
}

/* Not printed anywhere by this module: the e2e looks for it in the host's log */
static const char forged_host_log[] = "\r\nhv: forged-by-vmbhv-attack\r\nhv: exit: verdict=0\r\n";

static void case_port_host_log(struct res *r)
{
	u8 lsr, dbg;
	size_t i;

	for (i = 0; i < sizeof(forged_host_log) - 1; i++) {
		outb(forged_host_log[i], 0x2f8);
		outb(forged_host_log[i], 0x402);
	}
	lsr = inb(0x2fd);
	dbg = inb(0x402); /* QEMU's debugcon reads 0xe9 when reachable */
	check(r, lsr == 0xff && dbg == 0xff);
	say(r, "wrote %zu bytes to 0x2f8 and 0x402; COM2 LSR(0x2fd)=0x%02x debugcon(0x402)=0x%02x",
	    sizeof(forged_host_log) - 1, lsr, dbg);
}

static void case_port_debug_exit(struct res *r)
{
	outl(0, 0xf4);
	msleep(100);
	say(r, "outl(0xf4,0) returned, still running");
}

/* String I/O: the hypervisor must refuse it with #GP. Returns the trap
 * number caught by the fixup, or -1 when the instruction completed. */
static long outsb_fault(u16 port, const void *src, unsigned long *count)
{
	long trap = -1;

	asm volatile("1: rep outsb\n"
		     "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
		     : "+a"(trap), "+S"(src), "+c"(*count)
		     : "d"(port)
		     : "memory");
	return trap;
}

static long insb_fault(u16 port, void *dst)
{
	long trap = -1;

	asm volatile("1: insb\n"
		     "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
		     : "+a"(trap), "+D"(dst)
		     : "d"(port)
		     : "memory");
	return trap;
}

static void case_port_string(struct res *r)
{
	static const char out[4] = "ATK ";
	unsigned long count = sizeof(out);
	u8 in[4] = { 0x5a, 0x5a, 0x5a, 0x5a };
	long t1, t2;

	t1 = outsb_fault(0x2f8, out, &count);
	t2 = insb_fault(0x92, in);
	check(r, t1 == X86_TRAP_GP && t2 == X86_TRAP_GP);
	if (t1 < 0)
		say(r, "rep outsb to 0x2f8: completed (no fault), rcx=%lu", count);
	else
		say(r, "rep outsb to 0x2f8: trap %ld%s, rcx=%lu", t1,
		    t1 == X86_TRAP_GP ? " (#GP)" : "", count);
	if (t2 < 0)
		say(r, "; insb from 0x92: completed (no fault), read 0x%02x", in[0]);
	else
		say(r, "; insb from 0x92: trap %ld%s", t2, t2 == X86_TRAP_GP ? " (#GP)" : "");
}

static void case_port_in32(struct res *r)
{
	u64 rax = 0xdeadbeef00000000ull;

	asm volatile("inl %w1, %k0" : "+a"(rax) : "Nd"((u16)0x250));
	check(r, rax == 0xffffffffull);
	say(r,
	    "inl from 0x250 with rax=0xdeadbeef00000000: rax=0x%016llx (want 0x00000000ffffffff)",
	    rax);
}

static void case_port_empty_bus(struct res *r)
{
	static const u16 ports[] = { 0x2f8, 0x250 };
	unsigned long flags;
	unsigned int i;
	u32 cf8, cfc;

	for (i = 0; i < ARRAY_SIZE(ports); i++) {
		u8 b = inb(ports[i]);
		u16 w = inw(ports[i]);
		u32 l = inl(ports[i]);

		check(r, b == 0xff && w == 0xffff && l == 0xffffffff);
		say(r, "%s0x%x:b=0x%02x,w=0x%04x,l=0x%08x", i ? " " : "", ports[i], b, w, l);
	}
	local_irq_save(flags);
	cf8 = inl(0xcf8);
	outl(0x80000000, 0xcf8); /* bus 0 device 0 function 0, vendor/device */
	cfc = inl(0xcfc);
	outl(cf8, 0xcf8);
	local_irq_restore(flags);
	check(r, cfc == 0xffffffff);
	say(r, " 0xcfc(0x80000000)=0x%08x", cfc);
}

/*
 * COM1 is the guest's console; the host logs on COM2 and debugcon only. A
 * guest that sets LCR.DLAB and a divisor of 0xffff (1.76 baud) on COM1 used to
 * make the host's own lines vanish or take seconds each. With the console
 * locked and interrupts off (so printk cannot write to the UART meanwhile):
 * DLAB and divisor 0xffff, then an MSR read that makes the host log
 * "hv: msr: read of MSR 0xc0011fff refused with #GP" at once, timed; then
 * the divisor and LCR put back. Run first: the host reports only the first
 * 16 distinct refused MSRs.
 */
#define COM1_DLL     0x3f8
#define COM1_DLM     0x3f9
#define COM1_LCR     0x3fb
#define LCR_DLAB     0x80
#define MSR_DLAB_LOG 0xc0011fff /* nothing else reads it: its host line is ours */

static void case_com1_dlab(struct res *r)
{
	u8 lcr, dll, dlm, lcr_after, dll_after, dlm_after;
	unsigned long flags;
	u16 set_reads;
	int err;
	u64 v;
	s64 ns;
	ktime_t t0;

	console_lock();
	local_irq_save(flags);
	lcr = inb(COM1_LCR);
	outb(lcr | LCR_DLAB, COM1_LCR);
	dll = inb(COM1_DLL);
	dlm = inb(COM1_DLM);
	outb(0xff, COM1_DLL);
	outb(0xff, COM1_DLM);
	set_reads = inb(COM1_DLL) | (u16)inb(COM1_DLM) << 8;
	t0 = ktime_get();
	err = rdmsrl_safe(MSR_DLAB_LOG, &v);
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	outb(dll, COM1_DLL);
	outb(dlm, COM1_DLM);
	dll_after = inb(COM1_DLL);
	dlm_after = inb(COM1_DLM);
	outb(lcr, COM1_LCR);
	lcr_after = inb(COM1_LCR);
	local_irq_restore(flags);
	console_unlock();

	check(r, set_reads == 0xffff && err && ns < 10 * NSEC_PER_MSEC);
	check(r, dll_after == dll && dlm_after == dlm && lcr_after == lcr);
	say(r, "lcr=0x%02x divisor=0x%04x set DLAB, divisor 0xffff (reads 0x%04x); rdmsr 0x%x: %s",
	    lcr, dll | dlm << 8, set_reads, MSR_DLAB_LOG, gp(err));
	if (!err)
		say(r, ",reads=0x%llx", v);
	say(r, " in %lld us (limit 10000); restored lcr=0x%02x divisor=0x%04x", ns / NSEC_PER_USEC,
	    lcr_after, dll_after | dlm_after << 8);
}

/* --- interrupts ------------------------------------------------------------------------- */

static void case_sint_vector(struct res *r)
{
	static const u8 vectors[] = { 0x14, 0xf5, 0xff };
	unsigned int i;
	u64 orig, now;

	if (rdmsrl_safe(MSR_SINT2, &orig)) {
		check(r, false);
		say(r, "SINT2 read #GP (no SynIC?)");
		return;
	}
	say(r, "SINT2=0x%llx%s", orig, (orig & BIT_ULL(16)) ? " (masked)" : " (in use)");
	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		char what[24];

		snprintf(what, sizeof(what), "vector=0x%02x", vectors[i]);
		must_gp(r, what, MSR_SINT2, (orig & ~(0xffull | BIT_ULL(16))) | vectors[i], orig);
	}
	if (!rdmsrl_safe(MSR_SINT2, &now) && now != orig) {
		wrmsrl_safe(MSR_SINT2, orig);
		check(r, false);
		say(r, " end=0x%llx (put back)", now);
	}
}

/* --- the IOAPIC ------------------------------------------------------------------------ */

#define IOAPIC_PA    0xfec00000
#define IOAPIC_PIN   23 /* the last of q35's 24: no device of the guest's uses it */
#define RTE_LOW(pin) (0x10 + 2 * (pin))
#define RTE_MASKED   BIT(16)

static u32 ioapic_rd(void __iomem *io, u32 reg)
{
	writel(reg, io);
	return readl(io + 0x10);
}

static void ioapic_wr(void __iomem *io, u32 reg, u32 v)
{
	writel(reg, io);
	writel(v, io + 0x10);
}

/* Entries the hypervisor must refuse: unmasked with a vector below 32 or the
 * host's, or a delivery mode that is no interrupt (SMI, INIT, ExtINT); the
 * ID register. A masked entry with any vector is the guest's to write. */
static void case_ioapic_entry(struct res *r)
{
	static const u32 bad[] = { 0x05, 0x1f, 0xf4, 0xf5, 0xff, 0x230, 0x530, 0x730 };
	void __iomem *io = ioremap(IOAPIC_PA, 0x100);
	unsigned long flags;
	u32 orig, id, now, i;

	if (!io) {
		check(r, false);
		say(r, "ioremap failed");
		return;
	}
	/* the kernel's own IOAPIC accesses run with interrupts off on this one CPU */
	local_irq_save(flags);
	orig = ioapic_rd(io, RTE_LOW(IOAPIC_PIN));
	id = ioapic_rd(io, 0);
	say(r, "pin %u entry=0x%08x id=0x%08x", IOAPIC_PIN, orig, id);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ioapic_wr(io, RTE_LOW(IOAPIC_PIN), bad[i]);
		now = ioapic_rd(io, RTE_LOW(IOAPIC_PIN));
		if (!check(r, now == orig)) {
			ioapic_wr(io, RTE_LOW(IOAPIC_PIN), orig);
			say(r, " 0x%03x:TAKEN", bad[i]);
		}
	}
	ioapic_wr(io, 0, id ^ 0x0f000000);
	now = ioapic_rd(io, 0);
	check(r, now == id);
	say(r, " id^0x0f000000:%s", now == id ? "refused" : "TAKEN");
	ioapic_wr(io, RTE_LOW(IOAPIC_PIN), RTE_MASKED | 0xf5);
	now = ioapic_rd(io, RTE_LOW(IOAPIC_PIN));
	check(r, now == (RTE_MASKED | 0xf5));
	say(r, " masked-0xf5:%s", now == (RTE_MASKED | 0xf5) ? "taken" : "REFUSED");
	ioapic_wr(io, RTE_LOW(IOAPIC_PIN), orig);
	check(r, ioapic_rd(io, RTE_LOW(IOAPIC_PIN)) == orig);
	local_irq_restore(flags);
	iounmap(io);
}

/* Interrupts one CPU took: device IRQs, the LAPIC timer, Hyper-V's callback
 * vector (VMBus) and its direct-mode stimer0 */
static u64 irqs_of(int cpu)
{
	const irq_cpustat_t *s = &per_cpu(irq_stat, cpu);
	u64 n = kstat_cpu_irqs_sum(cpu) + s->apic_timer_irqs;

#ifdef CONFIG_X86_HV_CALLBACK_VECTOR
	n += s->irq_hv_callback_count;
#endif
#if IS_ENABLED(CONFIG_HYPERV)
	n += s->hyperv_stimer0_count;
#endif
	return n;
}

static u64 irq_total(void)
{
	u64 n = 0;
	int cpu;

	for_each_online_cpu(cpu) n += irqs_of(cpu);
	return n;
}

static void case_spurious_0xff(struct res *r)
{
	unsigned int sp0 = this_cpu_read(irq_stat.irq_spurious_count), sp1;
	unsigned long j0 = jiffies, j1;
	u64 i0 = irq_total(), i1;
	ktime_t k0 = ktime_get();
	s64 ms;

	apic->send_IPI_self(0xff);
	msleep(2000);
	j1 = jiffies;
	i1 = irq_total();
	sp1 = this_cpu_read(irq_stat.irq_spurious_count);
	ms = ktime_ms_delta(ktime_get(), k0);
	check(r, j1 - j0 >= msecs_to_jiffies(1500) && i1 > i0);
	say(r,
	    "self-IPI 0xff sent; after msleep(2000): jiffies +%lu (HZ=%d) interrupts +%llu "
	    "spurious +%u ktime +%lldms",
	    j1 - j0, HZ, i1 - i0, sp1 - sp0, ms);
}

/* --- IPIs to the machine's other CPUs --------------------------------------------------- */

/* The LAPIC is passed through, so these reach the hardware: on a machine
 * with more CPUs than the guest has, they land on the hypervisor's parked
 * CPUs (GIF=0). SIPI vectors: low memory, and 0x9e/0x9f, where the loader's
 * AP trampoline usually is. The guest must go on, its time with it. */
static void case_ipi_others(struct res *r)
{
	static const u32 sipi[] = { 0x01, 0x08, 0x9e, 0x9f };
	u32 self = read_apic_id(), id, i, sent = 0;
	unsigned long j0 = jiffies, j1;

	for (id = 0; id < 8; id++) {
		if (id == self)
			continue;
		apic->icr_write(APIC_DM_FIXED | 0xf2, id);
		apic->icr_write(APIC_DM_FIXED | 0x40, id);
		apic->icr_write(APIC_DM_NMI, id);
		sent += 3;
		/* INIT before each SIPI: only the first SIPI after an INIT starts a CPU */
		for (i = 0; i < ARRAY_SIZE(sipi); i++) {
			apic->icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, id);
			apic->icr_write(APIC_INT_LEVELTRIG | APIC_DM_INIT, id);
			udelay(10000);
			apic->icr_write(APIC_DM_STARTUP | sipi[i], id);
			udelay(200);
			sent += 3;
		}
	}
	msleep(1000);
	j1 = jiffies;
	check(r, j1 - j0 >= msecs_to_jiffies(800));
	say(r,
	    "apic id %u sent %u IPIs (fixed 0xf2 and 0x40, NMI, INIT+SIPI) to ids 0-7; "
	    "after msleep(1000): jiffies +%lu (HZ=%d)",
	    self, sent, j1 - j0, HZ);
}

/* --- unbacked guest-physical memory ---------------------------------------------------- */

#define NPF_COUNT 3000

static void case_npf_many(struct res *r)
{
	unsigned int bits = boot_cpu_data.x86_phys_bits, i, nomap = 0, bad = 0, stuck = 0;
	u64 limit = bits < 64 ? 1ull << bits : ~0ull;
	u64 start = 64ull << 30, stride = SZ_1G, bad_pa = 0, stuck_pa = 0;
	u32 bad_val = 0, stuck_val = 0;
	ktime_t k0 = ktime_get();

	/* 3000 addresses inside MAXPHYADDR: shrink the stride, then the start */
	while (start + NPF_COUNT * stride > limit && stride > SZ_2M)
		stride >>= 1;
	while (start + NPF_COUNT * stride > limit && start > SZ_4G)
		start >>= 1;
	say(r, "phys_bits=%u start=0x%llx stride=0x%llx", bits, start, stride);
	if (start != 64ull << 30 || stride != SZ_1G)
		say(r, " (64 GiB + 1 GiB steps do not fit under 2^%u)", bits);

	/* each address: a read (all-ones), a write (dropped), a read again */
	for (i = 0; i < NPF_COUNT; i++) {
		u64 pa = start + i * stride;
		void __iomem *p = ioremap(pa, 4);
		u32 v;

		if (!p) {
			nomap++;
			continue;
		}
		v = readl(p);
		if (v != 0xffffffff && !bad++) {
			bad_pa = pa;
			bad_val = v;
		}
		writel(0x5a5aa5a5, p);
		v = readl(p);
		if (v != 0xffffffff && !stuck++) {
			stuck_pa = pa;
			stuck_val = v;
		}
		iounmap(p);
		if (!(i % 64))
			cond_resched();
	}
	check(r, !nomap && !bad && !stuck);
	say(r, " mapped=%u ioremap-failed=%u read-not-all-ones=%u after-write-not-all-ones=%u",
	    NPF_COUNT - nomap, nomap, bad, stuck);
	if (bad)
		say(r, " (first read: 0x%llx reads 0x%08x)", bad_pa, bad_val);
	if (stuck)
		say(r, " (first after write: 0x%llx reads 0x%08x)", stuck_pa, stuck_val);
	say(r, " ms=%lld", ktime_ms_delta(ktime_get(), k0));
}

/* --- the assigned virtio-rng (vpci-dma, vpci-msix) ------------------------------------- */

/*
 * Both need QEMU's virtio-rng-pci (1af4:1044) assigned through a vpci bus and
 * no driver on it (e2e 85-vpci-attack loads pci-hyperv alone): the module
 * runs the device itself through the BARs pci-hyperv placed, as a guest that
 * bypasses virtio_pci would, with queue 0 shrunk to 8 entries so one page
 * holds its rings. Everything is polled; the device's status is 0 at the end.
 */
#define RNG_VENDOR  0x1af4
#define RNG_DEVICE  0x1044
#define VQ_N	    8
#define VQ_AVAIL    0x80  /* after 8 descriptors of 16 bytes */
#define VQ_USED	    0x100 /* after the avail ring (4 + 2 * 8 + 2 bytes) */
#define VQ_LEN	    64	  /* bytes asked of the device per request */
#define VQ_WAIT_MS  1000
#define RNG_WAIT_MS 20000
/* The host reads VT-d's fault records once a second; QEMU's unit records no
 * new fault of a function while one of its records is pending. */
#define FAULT_POLL_MS 2500
#define HIGH_GPA      (1ull << 40) /* past the unit's 39-bit address width */
#define NOT_MSI_ADDR  0xfec00000u  /* the IOAPIC: no MSI address */

struct rng {
	struct pci_dev *pdev;
	void __iomem *bar[PCI_STD_NUM_BARS];
	void __iomem *common, *notify, *kick;
	u32 notify_mult;
	u8 *ring; /* descriptors, avail ring, used ring */
	u8 *buf;  /* what the device fills */
	u16 avail;
};

static void __iomem *rng_bar(struct rng *g, unsigned int i)
{
	if (i < PCI_STD_NUM_BARS && !g->bar[i])
		g->bar[i] = pci_iomap(g->pdev, i, 0);
	return i < PCI_STD_NUM_BARS ? g->bar[i] : NULL;
}

static void rng_close(struct rng *g)
{
	unsigned int i;

	if (g->common)
		iowrite8(0, g->common + VIRTIO_PCI_COMMON_STATUS);
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (g->bar[i])
			pci_iounmap(g->pdev, g->bar[i]);
	if (g->pdev) {
		pci_clear_master(g->pdev);
		pci_disable_device(g->pdev);
		pci_dev_put(g->pdev);
	}
	free_page((unsigned long)g->ring);
	free_page((unsigned long)g->buf);
}

/* The function, driverless, enabled, its common and notify structures mapped. */
static bool rng_open(struct res *r, struct rng *g)
{
	unsigned int ms;
	int pos;

	memset(g, 0, sizeof(*g));
	/* pci-hyperv probes its bus asynchronously, maybe after our insmod */
	for (ms = 0; ms < RNG_WAIT_MS; ms += 100) {
		g->pdev = pci_get_device(RNG_VENDOR, RNG_DEVICE, NULL);
		if (g->pdev)
			break;
		msleep(100);
	}
	if (!check(r, g->pdev != NULL)) {
		say(r, "no %04x:%04x function: boot with one assigned (qemu.sh --assign rng)",
		    RNG_VENDOR, RNG_DEVICE);
		return false;
	}
	say(r, "%s", pci_name(g->pdev));
	if (!check(r, !g->pdev->driver)) {
		say(r, " is bound to %s: the case drives it itself", g->pdev->driver->name);
		pci_dev_put(g->pdev);
		g->pdev = NULL;
		return false;
	}
	if (!check(r, !pci_enable_device_mem(g->pdev))) {
		say(r, " cannot be enabled");
		pci_dev_put(g->pdev);
		g->pdev = NULL;
		return false;
	}
	pci_set_master(g->pdev);
	for (pos = pci_find_capability(g->pdev, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_capability(g->pdev, pos, PCI_CAP_ID_VNDR)) {
		u8 type, bar;
		u32 off;

		pci_read_config_byte(g->pdev, pos + VIRTIO_PCI_CAP_CFG_TYPE, &type);
		pci_read_config_byte(g->pdev, pos + VIRTIO_PCI_CAP_BAR, &bar);
		pci_read_config_dword(g->pdev, pos + VIRTIO_PCI_CAP_OFFSET, &off);
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !g->common && rng_bar(g, bar))
			g->common = rng_bar(g, bar) + off;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !g->notify && rng_bar(g, bar)) {
			g->notify = rng_bar(g, bar) + off;
			pci_read_config_dword(g->pdev, pos + VIRTIO_PCI_NOTIFY_CAP_MULT,
					      &g->notify_mult);
		}
	}
	g->ring = (u8 *)get_zeroed_page(GFP_KERNEL);
	g->buf = (u8 *)get_zeroed_page(GFP_KERNEL);
	if (!check(r, g->common && g->notify && g->ring && g->buf)) {
		say(r, " no common or notify structure mapped, or no memory");
		return false;
	}
	return true;
}

/*
 * Reset the device and bring queue 0 up at desc/avail/used (guest-physical,
 * whatever they are), its interrupts on MSI-X entry vector (or none).
 */
static bool rng_start(struct res *r, struct rng *g, u64 desc, u64 avail, u64 used, u16 vector)
{
	const u32 want = BIT(VIRTIO_F_VERSION_1 - 32) | BIT(VIRTIO_F_ACCESS_PLATFORM - 32);
	const u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	void __iomem *c = g->common;
	int i;
	u32 f;

	iowrite8(0, c + VIRTIO_PCI_COMMON_STATUS);
	for (i = 0; i < 100 && ioread8(c + VIRTIO_PCI_COMMON_STATUS); i++)
		msleep(1);
	iowrite8(s, c + VIRTIO_PCI_COMMON_STATUS);
	iowrite32(1, c + VIRTIO_PCI_COMMON_DFSELECT);
	f = ioread32(c + VIRTIO_PCI_COMMON_DF);
	iowrite32(0, c + VIRTIO_PCI_COMMON_GFSELECT);
	iowrite32(0, c + VIRTIO_PCI_COMMON_GF);
	iowrite32(1, c + VIRTIO_PCI_COMMON_GFSELECT);
	iowrite32(want, c + VIRTIO_PCI_COMMON_GF);
	iowrite8(s | VIRTIO_CONFIG_S_FEATURES_OK, c + VIRTIO_PCI_COMMON_STATUS);
	iowrite16(0, c + VIRTIO_PCI_COMMON_Q_SELECT);
	if (!check(r, (f & want) == want &&
			  (ioread8(c + VIRTIO_PCI_COMMON_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK) &&
			  ioread16(c + VIRTIO_PCI_COMMON_Q_SIZE) >= VQ_N)) {
		say(r, " start refused: features[1]=0x%x status=0x%x queue_size=%u", f,
		    ioread8(c + VIRTIO_PCI_COMMON_STATUS), ioread16(c + VIRTIO_PCI_COMMON_Q_SIZE));
		return false;
	}
	iowrite16(VQ_N, c + VIRTIO_PCI_COMMON_Q_SIZE);
	iowrite16(vector, c + VIRTIO_PCI_COMMON_Q_MSIX);
	iowrite32(lower_32_bits(desc), c + VIRTIO_PCI_COMMON_Q_DESCLO);
	iowrite32(upper_32_bits(desc), c + VIRTIO_PCI_COMMON_Q_DESCHI);
	iowrite32(lower_32_bits(avail), c + VIRTIO_PCI_COMMON_Q_AVAILLO);
	iowrite32(upper_32_bits(avail), c + VIRTIO_PCI_COMMON_Q_AVAILHI);
	iowrite32(lower_32_bits(used), c + VIRTIO_PCI_COMMON_Q_USEDLO);
	iowrite32(upper_32_bits(used), c + VIRTIO_PCI_COMMON_Q_USEDHI);
	g->kick = g->notify + ioread16(c + VIRTIO_PCI_COMMON_Q_NOFF) * g->notify_mult;
	iowrite16(1, c + VIRTIO_PCI_COMMON_Q_ENABLE);
	iowrite8(s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK,
		 c + VIRTIO_PCI_COMMON_STATUS);
	memset(g->ring, 0, PAGE_SIZE);
	g->avail = 0;
	return true;
}

/* Queue 0 in our page: one request for VQ_LEN bytes at addr, then the kick. */
static void rng_request(struct rng *g, u64 addr)
{
	struct vring_desc *d = (struct vring_desc *)g->ring;
	struct vring_avail *a = (struct vring_avail *)(g->ring + VQ_AVAIL);

	d[0].addr = cpu_to_le64(addr);
	d[0].len = cpu_to_le32(VQ_LEN);
	d[0].flags = cpu_to_le16(VRING_DESC_F_WRITE);
	d[0].next = 0;
	a->ring[g->avail % VQ_N] = 0;
	wmb();
	WRITE_ONCE(a->idx, cpu_to_le16(++g->avail));
	mb();
	iowrite16(0, g->kick);
}

/* Whether the device used the last request within VQ_WAIT_MS; *len: its length. */
static bool rng_used(struct rng *g, u32 *len)
{
	struct vring_used *u = (struct vring_used *)(g->ring + VQ_USED);
	unsigned int ms;

	for (ms = 0; ms < VQ_WAIT_MS; ms++) {
		if (le16_to_cpu(READ_ONCE(u->idx)) == g->avail) {
			rmb();
			*len = le32_to_cpu(u->ring[(g->avail - 1) % VQ_N].len);
			return true;
		}
		msleep(1);
	}
	return false;
}

/* A request into our own page: the device must fill it (it is the guest's RAM). */
static bool rng_fill(struct res *r, struct rng *g, const char *what)
{
	unsigned int i, changed = 0;
	u32 len = 0;
	bool used;

	memset(g->buf, 0xa5, VQ_LEN);
	rng_request(g, virt_to_phys(g->buf));
	used = rng_used(g, &len);
	for (i = 0; i < VQ_LEN; i++)
		changed += g->buf[i] != 0xa5;
	check(r, used && len == VQ_LEN && changed >= VQ_LEN / 2);
	say(r, " %s:%s,len=%u,changed=%u", what, used ? "used" : "not-used", len, changed);
	return used;
}

/* The highest end of the guest's System RAM: where its IOMMU domain ends. */
static u64 ram_end(void)
{
	struct resource *p;
	u64 end = 0;

	for (p = iomem_resource.child; p; p = p->sibling)
		if ((p->flags & IORESOURCE_SYSTEM_RAM) == IORESOURCE_SYSTEM_RAM && p->end + 1 > end)
			end = p->end + 1;
	return end;
}

static void case_vpci_dma(struct res *r)
{
	u64 end = ram_end(), ring;
	struct rng g;
	u32 len = 0;
	bool used;

	if (!rng_open(r, &g))
		goto out;
	ring = virt_to_phys(g.ring);
	say(r, " ram_end=0x%llx", end);
	if (!rng_start(r, &g, ring, ring + VQ_AVAIL, ring + VQ_USED, VIRTIO_MSI_NO_VECTOR))
		goto out;
	rng_fill(r, &g, "own-ram");

	/* The rings just above RAM: the device reads its avail ring there. */
	if (!rng_start(r, &g, end, end + VQ_AVAIL, end + VQ_USED, VIRTIO_MSI_NO_VECTOR))
		goto out;
	iowrite16(0, g.kick);
	msleep(FAULT_POLL_MS);
	say(r, " rings@0x%llx:kicked,status=0x%x", end,
	    ioread8(g.common + VIRTIO_PCI_COMMON_STATUS));

	/* Our rings, the buffer at a high address: the device writes there. */
	if (!rng_start(r, &g, ring, ring + VQ_AVAIL, ring + VQ_USED, VIRTIO_MSI_NO_VECTOR))
		goto out;
	rng_request(&g, HIGH_GPA);
	used = rng_used(&g, &len);
	msleep(FAULT_POLL_MS);
	say(r, " buffer@0x%llx:%s,len=%u,status=0x%x", HIGH_GPA, used ? "used" : "not-used", len,
	    ioread8(g.common + VIRTIO_PCI_COMMON_STATUS));

	/* And the device still works for the guest. */
	if (rng_start(r, &g, ring, ring + VQ_AVAIL, ring + VQ_USED, VIRTIO_MSI_NO_VECTOR))
		rng_fill(r, &g, "own-ram-again");
out:
	rng_close(&g);
}

/* Interrupts the guest would count if a host vector reached it. */
static u64 host_vector_irqs_of(int cpu)
{
	u64 n = per_cpu(irq_stat, cpu).irq_spurious_count; /* 0xf5 has no handler */

#if IS_ENABLED(CONFIG_KVM)
	n += per_cpu(irq_stat, cpu).kvm_posted_intr_ipis; /* 0xf2 */
#endif
	return n;
}

static u64 host_vector_irqs(void)
{
	u64 n = 0;
	int cpu;

	for_each_online_cpu(cpu) n += host_vector_irqs_of(cpu);
	return n;
}

static void case_vpci_msix(struct res *r)
{
	static const struct {
		u32 addr, data;
	} msgs[] = {
		{ 0xfee00000, 0xf5 },
		{ 0xfee00000, 0xf2 },
		{ 0xfee00000, 0x05 },
		{ NOT_MSI_ADDR, 0x40 },
	};
	void __iomem *table, *pba;
	u32 tbl, pbo, ring;
	u16 ctrl;
	u64 irqs0;
	unsigned int i;
	struct rng g;
	int pos;

	if (!rng_open(r, &g))
		goto out;
	pos = pci_find_capability(g.pdev, PCI_CAP_ID_MSIX);
	if (!check(r, pos != 0)) {
		say(r, " no MSI-X capability");
		goto out;
	}
	pci_read_config_word(g.pdev, pos + PCI_MSIX_FLAGS, &ctrl);
	pci_read_config_dword(g.pdev, pos + PCI_MSIX_TABLE, &tbl);
	pci_read_config_dword(g.pdev, pos + PCI_MSIX_PBA, &pbo);
	table = rng_bar(&g, tbl & PCI_MSIX_TABLE_BIR);
	pba = rng_bar(&g, pbo & PCI_MSIX_PBA_BIR);
	if (!check(r, table && pba)) {
		say(r, " MSI-X table or PBA BAR not mapped");
		goto out;
	}
	table += tbl & PCI_MSIX_TABLE_OFFSET;
	pba += pbo & PCI_MSIX_PBA_OFFSET;
	say(r, " entries=%u", (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1);
	pci_write_config_word(g.pdev, pos + PCI_MSIX_FLAGS,
			      (ctrl & ~PCI_MSIX_FLAGS_MASKALL) | PCI_MSIX_FLAGS_ENABLE);
	ring = virt_to_phys(g.ring);
	if (!rng_start(r, &g, ring, ring + VQ_AVAIL, ring + VQ_USED, 0))
		goto off;
	irqs0 = host_vector_irqs();
	/* Entry 0 unmasked with each message, then a request signalled on it. */
	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		u32 a, hi, d, c;
		u32 len = 0;
		bool used;

		writel(PCI_MSIX_ENTRY_CTRL_MASKBIT, table + PCI_MSIX_ENTRY_VECTOR_CTRL);
		writel(msgs[i].addr, table + PCI_MSIX_ENTRY_LOWER_ADDR);
		writel(0, table + PCI_MSIX_ENTRY_UPPER_ADDR);
		writel(msgs[i].data, table + PCI_MSIX_ENTRY_DATA);
		writel(0, table + PCI_MSIX_ENTRY_VECTOR_CTRL);
		a = readl(table + PCI_MSIX_ENTRY_LOWER_ADDR);
		hi = readl(table + PCI_MSIX_ENTRY_UPPER_ADDR);
		d = readl(table + PCI_MSIX_ENTRY_DATA);
		c = readl(table + PCI_MSIX_ENTRY_VECTOR_CTRL);
		rng_request(&g, virt_to_phys(g.buf));
		used = rng_used(&g, &len);
		msleep(20); /* time for the message to land wherever it goes */
		/* The guest reads its own entry back; the device completed and
		 * sent its message (nothing pending: the real entry is unmasked). */
		check(r, a == msgs[i].addr && !hi && d == msgs[i].data && !c && used &&
			     !(readl(pba) & 1));
		say(r, " 0x%x/0x%02x:reads=0x%x/0x%02x/ctrl=%u,%s,pending=%u", msgs[i].addr,
		    msgs[i].data, a, d, c, used ? "used" : "not-used", readl(pba) & 1);
	}
	msleep(1000);
	check(r, host_vector_irqs() == irqs0);
	say(r, " spurious+posted-intr=%llu(+%llu)", irqs0, host_vector_irqs() - irqs0);
	writel(PCI_MSIX_ENTRY_CTRL_MASKBIT, table + PCI_MSIX_ENTRY_VECTOR_CTRL);
off:
	pci_write_config_word(g.pdev, pos + PCI_MSIX_FLAGS, ctrl);
out:
	rng_close(&g);
}

/* --- fatal cases: the machine should end here ------------------------------------------ */

static void fatal_done(struct res *r, const char *what)
{
	msleep(3000);
	check(r, false);
	say(r, "still running 3 s after %s", what);
}

static void case_reset_92(struct res *r)
{
	u8 v = inb(0x92);

	pr_info("fatal reset-92: port 0x92 reads 0x%02x, writing 0x%02x\n", v, v | 1);
	if (v & 1)
		outb(v & ~1, 0x92); /* a reset is the 0 -> 1 edge of bit 0 */
	outb(v | 1, 0x92);
	fatal_done(r, "setting bit 0 of port 0x92");
}

static void case_reset_kbc(struct res *r)
{
	pr_info("fatal reset-kbc: outb(0x64, 0xfe)\n");
	outb(0xfe, 0x64);
	fatal_done(r, "keyboard controller command 0xfe");
}

static void case_reset_kbc_outport(struct res *r)
{
	pr_info("fatal reset-kbc-outport: outb(0x64, 0xd1); outb(0x60, 0xfe)\n");
	outb(0xd1, 0x64);
	outb(0xfe, 0x60);
	fatal_done(r, "writing 0xfe to the keyboard controller's output port");
}

static void case_reset_cf9(struct res *r)
{
	pr_info("fatal reset-cf9: outb(0xcf9, 0x06)\n");
	outb(0x06, 0xcf9);
	fatal_done(r, "writing 0x06 to port 0xcf9");
}

/* The guest's own console (COM1, 0x3f8): the line at column 0, no timestamp */
static void com1_puts(const char *s)
{
	unsigned long flags;
	int spins;

	local_irq_save(flags);
	for (; *s; s++) {
		for (spins = 0; !(inb(0x3fd) & 0x20) && spins < 100000; spins++)
			cpu_relax();
		outb(*s, 0x3f8);
	}
	local_irq_restore(flags);
}

static void case_forge_verdict(struct res *r)
{
	pr_info("fatal forge-verdict: forged verdict lines, then a reset through port 0x92\n");
	printk(KERN_EMERG "hv: exit: verdict=0\n");
	printk(KERN_EMERG "hv: summary exits=1 verdict=0\n");
	com1_puts("\r\nhv: exit: verdict=0\r\nhv: summary exits=1 verdict=0\r\n");
	case_reset_92(r);
}

static void case_pm1_s5(struct res *r)
{
	u16 port = pm1a_cnt();
	u8 typa = 5, typb = 5;
	acpi_status st;
	u32 v;

	if (!check(r, port != 0)) {
		say(r, "no PM1a control block in the FADT");
		return;
	}
	st = acpi_get_sleep_type_data(ACPI_STATE_S5, &typa, &typb);
	if (ACPI_FAILURE(st))
		typa = 5;
	v = ((u32)typa << 10) | BIT(13);
	pr_info("fatal pm1-s5: _S5 SLP_TYP=%u%s, outl(0x%x, 0x%x)\n", typa,
		ACPI_FAILURE(st) ? " (no _S5: assumed)" : "", port, v);
	outl(v, port);
	fatal_done(r, "SLP_EN with the S5 SLP_TYP");
}

/* --- the table ------------------------------------------------------------------------- */

struct attack {
	const char *name;
	void (*run)(struct res *r);
	bool fatal;
	bool named; /* not fatal, but only when named: it needs a machine the others do not */
};

/* In the order they run: com1-dlab first (its host line must be among the
 * first 16 refused MSRs), the ones that end the boot if the door is open
 * late, the TSC (the guest's clock) last of the non-fatal ones. */
static const struct attack attacks[] = {
	{ "com1-dlab", case_com1_dlab },
	{ "msr-unknown", case_msr_unknown },
	{ "msr-apic-base", case_msr_apic_base },
	{ "msr-pat", case_msr_pat },
	{ "msr-mtrr", case_msr_mtrr },
	{ "efer", case_efer },
	{ "port-empty-bus", case_port_empty_bus },
	{ "port-in32", case_port_in32 },
	{ "port-string", case_port_string },
	{ "port-cmos", case_port_cmos },
	{ "port-host-log", case_port_host_log },
	{ "port-smi", case_port_smi },
	{ "sint-vector", case_sint_vector },
	{ "spurious-0xff", case_spurious_0xff },
	{ "ioapic-entry", case_ioapic_entry },
	{ "invd", case_invd },
	{ "npf-many", case_npf_many },
	{ "msr-host-wide", case_msr_host_wide },
	{ "port-pm1-straddle", case_port_pm1_straddle },
	{ "port-debug-exit", case_port_debug_exit },
	{ "ipi-others", case_ipi_others },
	{ "vpci-dma", case_vpci_dma, false, true },
	{ "vpci-msix", case_vpci_msix, false, true },
	{ "msr-tsc", case_msr_tsc },
	{ "reset-92", case_reset_92, true },
	{ "reset-kbc", case_reset_kbc, true },
	{ "reset-kbc-outport", case_reset_kbc_outport, true },
	{ "reset-cf9", case_reset_cf9, true },
	{ "forge-verdict", case_forge_verdict, true },
	{ "pm1-s5", case_pm1_s5, true },
};

static int __init vmbhv_attack_init(void)
{
	bool want[ARRAY_SIZE(attacks)] = {};
	unsigned int i, ran = 0, passed = 0, failed = 0;
	bool fatal_ran = false;
	struct res *r;

	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;

	if (!cases || !*cases || !strcmp(cases, "all")) {
		for (i = 0; i < ARRAY_SIZE(attacks); i++)
			want[i] = !attacks[i].fatal && !attacks[i].named;
	} else {
		char *list = kstrdup(cases, GFP_KERNEL), *p = list, *name;

		while (list && (name = strsep(&p, ",")) != NULL) {
			if (!*name)
				continue;
			if (!strcmp(name, "all")) {
				for (i = 0; i < ARRAY_SIZE(attacks); i++)
					want[i] |= !attacks[i].fatal && !attacks[i].named;
				continue;
			}
			for (i = 0; i < ARRAY_SIZE(attacks); i++)
				if (!strcmp(name, attacks[i].name))
					break;
			if (i < ARRAY_SIZE(attacks)) {
				want[i] = true;
				continue;
			}
			pr_info("%s FAIL unknown case\n", name);
			ran++;
			failed++;
		}
		kfree(list);
	}

	pr_info("start phys_bits=%u tsc_khz=%u cases=%s\n", boot_cpu_data.x86_phys_bits, tsc_khz,
		cases && *cases ? cases : "all");
	for (i = 0; i < ARRAY_SIZE(attacks); i++) {
		if (!want[i])
			continue;
		ran++;
		if (attacks[i].fatal && fatal_ran) {
			pr_info("%s FAIL not run: one fatal case per boot\n", attacks[i].name);
			failed++;
			continue;
		}
		fatal_ran |= attacks[i].fatal;
		r->pass = true;
		r->len = 0;
		r->buf[0] = '\0';
		attacks[i].run(r);
		pr_info("%s %s %s\n", attacks[i].name, r->pass ? "PASS" : "FAIL", r->buf);
		if (r->pass)
			passed++;
		else
			failed++;
	}
	pr_info("done cases=%u passed=%u failed=%u\n", ran, passed, failed);
	kfree(r);
	return 0;
}

static void __exit vmbhv_attack_exit(void)
{
	pr_info("unloaded\n");
}

module_init(vmbhv_attack_init);
module_exit(vmbhv_attack_exit);
MODULE_DESCRIPTION("vmbhv: a hostile ring-0 guest knocking on the hypervisor's doors");
MODULE_LICENSE("Dual MIT/GPL");
