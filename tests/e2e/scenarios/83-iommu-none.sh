# Without an IOMMU (qemu.sh's default machine has no DMAR table) the
# hypervisor says so once and runs as before: nothing can be assigned.
boot --timeout 60
expect_host '^hv: iommu: none \(no DMAR table\): devices cannot be assigned$'
expect_not_host '^hv: iommu: VT-d'
expect_host '^hv: exit: verdict=0$'
expect_status 0
