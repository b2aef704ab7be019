/* Which machine function assign= names and whether it may be given: the
 * refusals of docs/vpci.md, "Assignment". */
#include "devices/vpci_assign.h"

#include "boot_info.h"
#include "drivers/virtio_blk.h"
#include "drivers/virtio_net.h"
#include "lib/fmt.h"

#define PCI_CLASS_BRIDGE     0x06u
#define PCI_SUBCLASS_HOST    0x00u
#define PCI_HEADER_TYPE_MASK 0x7fu

static struct {
    unsigned n;
    uint16_t bdf[VPCI_ASSIGN_MAX];
    const char *owner[VPCI_ASSIGN_MAX];
} claims;

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex digits v[*i..) up to a character not a digit: at least 1, at most max. */
static int hex_field(const char *v, size_t n, size_t *i, unsigned max, uint32_t *out)
{
    unsigned digits = 0;
    uint32_t r = 0;
    while (*i < n && hex_digit(v[*i]) >= 0) {
        if (++digits > max)
            return -1;
        r = r << 4 | (uint32_t)hex_digit(v[(*i)++]);
    }
    *out = r;
    return digits ? 0 : -1;
}

int vpci_assign_parse(const char *v, size_t n, struct vpci_assign_sel *out)
{
    size_t i = 0;
    uint32_t a, b, fn;
    if (hex_field(v, n, &i, 4, &a) || i >= n || v[i++] != ':')
        return -1;
    size_t at = i;
    if (hex_field(v, n, &i, 4, &b))
        return -1;
    if (i == n) { /* vendor:device: four digits each, as lspci -n prints them */
        if (at != 5 || n != 9)
            return -1;
        *out =
            (struct vpci_assign_sel){.by_id = true, .vendor = (uint16_t)a, .device = (uint16_t)b};
        return 0;
    }
    if (a > 0xff || b > 0x1f || v[i++] != '.' || hex_field(v, n, &i, 1, &fn) || i != n || fn > 7)
        return -1;
    *out = (struct vpci_assign_sel){.bdf = PCI_BDF(a, b, fn)};
    return 0;
}

static const char *claimed_by(uint16_t bdf)
{
    for (unsigned i = 0; i < claims.n; i++)
        if (claims.bdf[i] == bdf)
            return claims.owner[i];
    return NULL;
}

/* Why the hypervisor keeps bdf for itself, or NULL. */
static const char *hypervisor_use(const struct pci_cfg_ops *pci, uint16_t bdf, uint32_t boot_disk)
{
    uint32_t id = pci_read32(pci, bdf, PCI_VENDOR_ID);
    uint16_t vendor = (uint16_t)id, device = (uint16_t)(id >> 16);
    uint8_t base = pci_read8(pci, bdf, PCI_CLASS_REV + 3),
            sub = pci_read8(pci, bdf, PCI_CLASS_REV + 2);
    if (base == PCI_CLASS_BRIDGE && sub == PCI_SUBCLASS_HOST)
        return "it is the host bridge";
    if (base == PCI_CLASS_BRIDGE || (pci_read8(pci, bdf, PCI_HEADER) & PCI_HEADER_TYPE_MASK))
        return "it is a bridge";
    if ((boot_disk & HV_BOOT_DISK_VALID) && HV_BOOT_DISK_SEGMENT(boot_disk) == 0 &&
        HV_BOOT_DISK_BDF(boot_disk) == bdf)
        return "it is the boot volume";
    if (vendor == VIRTIO_VENDOR &&
        (device == VIRTIO_DEV_BLK_MODERN || device == VIRTIO_DEV_BLK_TRANS))
        return "it is a virtio-blk function, which the hypervisor keeps for disk devices";
    if (vendor == VIRTIO_VENDOR &&
        (device == VIRTIO_DEV_NET_MODERN || device == VIRTIO_DEV_NET_TRANS))
        return "it is a virtio-net function, which the hypervisor keeps for nic devices";
    return NULL;
}

struct search {
    const struct vpci_assign_sel *sel;
    bool found;
    uint16_t bdf;
};

static bool visit(void *ctx, uint16_t bdf, uint16_t vendor, uint16_t device)
{
    struct search *s = ctx;
    bool match = s->sel->by_id
                     ? vendor == s->sel->vendor && device == s->sel->device && !claimed_by(bdf)
                     : bdf == s->sel->bdf;
    if (match) {
        s->found = true;
        s->bdf = bdf;
    }
    return !match;
}

int vpci_assign_claim(const struct pci_cfg_ops *pci, uint32_t boot_disk,
                      const struct vpci_assign_sel *sel, const char *owner,
                      const struct iommu_range *ram, unsigned nram, uint16_t *bdf, char *why,
                      size_t cap)
{
    struct search s = {sel, false, 0};
    if (pci)
        pci_enumerate(pci, visit, &s);
    if (!s.found) {
        fmt_snprintf(why, cap, "%s",
                     sel->by_id ? "no such function on the machine's PCI bus (or all are taken)"
                                : "no such function on the machine's PCI bus");
        return -1;
    }
    const char *taken = claimed_by(s.bdf), *use = hypervisor_use(pci, s.bdf, boot_disk);
    if (taken || use || claims.n == VPCI_ASSIGN_MAX) {
        if (taken)
            fmt_snprintf(why, cap, "%02x:%02x.%u is assigned to %s already", PCI_BUS(s.bdf),
                         PCI_DEV(s.bdf), PCI_FN(s.bdf), taken);
        else if (use)
            fmt_snprintf(why, cap, "%02x:%02x.%u is the hypervisor's: %s", PCI_BUS(s.bdf),
                         PCI_DEV(s.bdf), PCI_FN(s.bdf), use);
        else
            fmt_snprintf(why, cap, "at most %u functions are assigned", VPCI_ASSIGN_MAX);
        return -1;
    }
    /* No DMA until the guest's driver asks for it, and then only into its RAM. */
    uint16_t cmd = pci_read16(pci, s.bdf, PCI_COMMAND);
    pci_write_command(pci, s.bdf, (uint16_t)((cmd & ~PCI_CMD_MASTER) | PCI_CMD_INTX_OFF));
    const char *iw;
    if (iommu_assign(s.bdf, ram, nram, &iw)) {
        fmt_snprintf(why, cap, "%02x:%02x.%u: the IOMMU refused its DMA domain: %s", PCI_BUS(s.bdf),
                     PCI_DEV(s.bdf), PCI_FN(s.bdf), iw);
        return -1;
    }
    claims.bdf[claims.n] = s.bdf;
    claims.owner[claims.n++] = owner;
    *bdf = s.bdf;
    return 0;
}

void vpci_assign_release_all(void)
{
    for (unsigned i = 0; i < claims.n; i++)
        iommu_unassign(claims.bdf[i]);
    claims.n = 0;
}
