# The loader hands the machine over: banner, memory map, placement, SVM, the
# loaded images byte-exact (CRC-32). The "kernel" is random bytes, so the
# hypervisor then refuses it (verdict 2).
head -c 1500000 /dev/urandom > "$WORK/kernel.bin"
head -c 300001 /dev/urandom > "$WORK/initrd.bin"
config << 'CFG'
# banner scenario
memory_mb = 256
heap_mb = 8
kernel = hv/kernel.bin
initrd = hv/initrd.bin
cmdline = console=ttyS0 vmbhv.test=banner
CFG
esp_add "$WORK/kernel.bin" hv/kernel.bin
esp_add "$WORK/initrd.bin" hv/initrd.bin
boot --timeout 60

crc() { gzip -c < "$1" | tail -c 8 | od -An -tx4 -N4 | tr -d ' '; }

expect '^boot: vmbhv loader ' "loader banner"
expect '^boot: config hv/hv.cfg: memory_mb=256 heap_mb=8 kernel=hv/kernel.bin initrd=hv/initrd.bin'
expect '^hv: boot: vmbhv [0-9.]+ .* hypervisor$' "hypervisor banner"
expect '^hv: paging: identity map 0-0x[0-9a-f]+ with (1 GiB|2 MiB) pages'
expect '^hv: mem: firmware memory map: [0-9]+ entries'
expect '^hv: mem:   0x0000000000000000-0x[0-9a-f]{16} conventional$' "memory map rows"
expect '^hv: mem: [0-9]+ ranges, [0-9]+ MiB of RAM'
expect '^hv: boot: hypervisor at 0x[0-9a-f]+-0x[0-9a-f]+ \([0-9]+ KiB\)'
expect '^hv: boot: heap at 0x[0-9a-f]+ \(8 MiB\)'
expect '^hv: boot: guest RAM at 0x[0-9a-f]*[02468ace]00000-0x[0-9a-f]+ \(256 MiB\)' "2 MiB aligned"
expect '^hv: boot: firmware RSDP at 0x[1-9a-f]'
expect "^hv: boot: kernel: hv/kernel.bin at 0x[0-9a-f]+ size=1500000 crc32=0x$(crc "$WORK/kernel.bin")\$"
expect "^hv: boot: initrd: hv/initrd.bin at 0x[0-9a-f]+ size=300001 crc32=0x$(crc "$WORK/initrd.bin")\$"
expect '^hv: boot: guest command line: console=ttyS0 vmbhv.test=banner$'
expect '^hv: svm: revision [0-9]+, [0-9]+ ASIDs, features 0x[0-9a-f]{8}:.* np'
expect '^hv: svm: enabled \(EFER.SVME=1\)'
expect '^hv: boot: ready$'
expect '^hv: guest: cannot boot hv/kernel.bin: '
expect '^hv: exit: verdict=2$'
expect_order '^boot: exiting boot services' '^hv: boot: vmbhv'
expect_not 'hv: panic' "no exception"
expect_status 2
