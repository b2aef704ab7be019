#include "drivers/nics.h"

#include "lib/fmt.h"
#include "page.h"
#include "lib/log.h"

#define NIC_PAGES (VIRTIO_NET_MEM_BYTES / PAGE_SIZE)

static struct {
    const struct pci_cfg_ops *pci;
    const struct virtio_mmio_ops *io;
    struct heap *heap;
    uint16_t bdf;
    bool found, started;
    char name[8];
} first;

static bool visit(void *ctx, uint16_t bdf, uint16_t vendor, uint16_t device)
{
    unsigned *count = ctx;
    if (vendor != VIRTIO_VENDOR ||
        (device != VIRTIO_DEV_NET_MODERN && device != VIRTIO_DEV_NET_TRANS))
        return true;
    char name[8];
    fmt_snprintf(name, sizeof(name), "%02x:%02x.%u", PCI_BUS(bdf), PCI_DEV(bdf), PCI_FN(bdf));
    uint8_t m[6];
    const char *why;
    if (virtio_net_peek_mac(first.pci, bdf, first.io, m, &why)) {
        hv_log("nic", "virtio-net %s not usable: %s", name, why);
        return true;
    }
    hv_log("nic", "virtio-net %s mac=%02x:%02x:%02x:%02x:%02x:%02x", name, m[0], m[1], m[2], m[3],
           m[4], m[5]);
    if (!first.found) {
        first.found = true;
        first.bdf = bdf;
        fmt_snprintf(first.name, sizeof(first.name), "%s", name);
    }
    (*count)++;
    return true;
}

void nics_probe(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io, struct heap *heap)
{
    first.pci = pci;
    first.io = io;
    first.heap = heap;
    unsigned count = 0;
    pci_enumerate(pci, visit, &count);
    if (!count)
        hv_log("nic", "no virtio-net function");
}

struct virtio_net *nics_start(void)
{
    static struct virtio_net net;
    if (!first.found || first.started) {
        hv_log("nic", "%s", first.found ? "the virtio-net card is taken" : "no virtio-net card");
        return NULL;
    }
    void *mem = heap_alloc_pages(first.heap, NIC_PAGES);
    const char *why;
    if (!mem) {
        hv_log("nic", "virtio-net %s: out of heap", first.name);
        return NULL;
    }
    if (virtio_net_init(&net, first.pci, first.bdf, first.io, mem, &why)) {
        hv_log("nic", "virtio-net %s not usable: %s", first.name, why);
        return NULL;
    }
    first.started = true;
    hv_log("nic", "virtio-net %s driven: %u receive and %u transmit buffers, link %s", first.name,
           net.rxq.size, net.txq.size, net.link_up ? "up" : "down");
    return &net;
}

bool nics_function(uint16_t *bdf)
{
    *bdf = first.bdf;
    return first.found;
}
