#include "vm/acpi_vmbus.h"

void acpi_vmbus_devices(struct aml *a, const struct acpi_mmio_window *w, size_t n)
{
    aml_begin_device(a, "VMOD");
    aml_name(a, "_HID");
    aml_string(a, "ACPI0004");
    aml_name(a, "_UID");
    aml_integer(a, 0);
    aml_name(a, "_CRS");
    aml_begin_resource_template(a);
    /* Producer: the module decodes these ranges for its children, like a bridge. */
    for (size_t i = 0; i < n; i++)
        aml_qword_memory(a, true, AML_MEM_NONCACHEABLE, w[i].base, w[i].size);
    aml_end(a);

    aml_begin_device(a, "VMBS");
    aml_name(a, "_HID");
    aml_string(a, "VMBUS");
    aml_name(a, "_UID");
    aml_integer(a, 0);
    /* Present and evaluable, so the probe's _CRS walk succeeds (contract 5.2). */
    aml_name(a, "_CRS");
    aml_begin_resource_template(a);
    aml_end(a);
    aml_end(a);

    aml_end(a);
}

void acpi_vmbus_hook(struct aml *a, void *ctx)
{
    const struct acpi_vmbus *v = ctx;
    acpi_vmbus_devices(a, v->windows, v->count);
}
