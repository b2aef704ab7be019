# vmbhv — one flat Makefile. `make` builds into build/; `make run` boots it in
# QEMU; `make test` runs every suite. See README.md.

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
NASM    ?= nasm
HOSTCC  ?= gcc
FUZZCC  ?= clang

B := build
VERSION := 0.1.0
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VERSION_DEFINE := -DVMBHV_VERSION='"$(VERSION) ($(GITREV))"'

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes

# --- the hypervisor: freestanding static PIE --------------------------------
HV_CFLAGS := -std=c11 -O2 -g -ffreestanding -fno-stack-protector -fno-builtin \
	-mno-red-zone -mgeneral-regs-only -fpie -fvisibility=hidden \
	-fno-asynchronous-unwind-tables -fcf-protection=none $(WARN) \
	-Ihv/include -Ihv $(VERSION_DEFINE)
HV_LDFLAGS := -nostdlib -pie --no-dynamic-linker -z noexecstack -z max-page-size=4096 \
	-z norelro --hash-style=sysv -T linker/hv.ld

# config.c and config_fault.c are the loader's (it hands the hypervisor parsed values);
# config_words.c is both's (the hypervisor parses the device lines' own words).
HV_LIB_SRC  := $(filter-out hv/lib/config.c hv/lib/config_fault.c,$(wildcard hv/lib/*.c))
HV_ARCH_SRC := $(filter-out hv/arch/x86/asm-offsets.c,$(wildcard hv/arch/x86/*.c))
HV_ASM_SRC  := $(wildcard hv/arch/x86/*.asm)
HV_CORE_SRC := $(wildcard hv/*.c hv/vm/*.c hv/hyperv/*.c hv/vmbus/*.c hv/devices/*.c hv/drivers/*.c)
HV_SRC      := $(HV_CORE_SRC) $(HV_ARCH_SRC) $(HV_LIB_SRC)
HV_OBJ      := $(HV_SRC:%.c=$(B)/%.o) $(HV_ASM_SRC:%.asm=$(B)/%.asm.o)

# --- the UEFI loader (GNU-EFI) ------------------------------------------------
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := -std=c11 -O2 -g -fpic -fshort-wchar -mno-red-zone -ffreestanding \
	-fno-stack-protector -maccumulate-outgoing-args -mgeneral-regs-only \
	-DGNU_EFI_USE_MS_ABI -I$(EFI_INC) -I$(EFI_INC)/x86_64 -Ihv/include -Ihv -Iboot \
	$(WARN) -Wno-strict-prototypes $(VERSION_DEFINE)
# Shared, hardware-free pieces of hv/lib the loader links (not mem.c: libefi has memcpy).
BOOT_LIB_SRC := hv/lib/config.c hv/lib/config_fault.c hv/lib/config_words.c hv/lib/fmt.c hv/lib/str.c hv/lib/memcmp.c
BOOT_SRC := $(wildcard boot/*.c)
BOOT_OBJ := $(BOOT_SRC:%.c=$(B)/efi/%.o) $(BOOT_LIB_SRC:%.c=$(B)/efi/%.o)

# --- host tests -----------------------------------------------------------------
TEST_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Werror -Ihv/include -Ihv -Iboot \
	-DVMBHV_VERSION='"test"'
# -O2: fuzzers are measured in inputs per second (fuzz_vmbus: 1.5x -O1's).
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 -fsanitize=fuzzer,address,undefined \
	-Wall -Wextra -Werror -Ihv/include -Ihv -Iboot

# Unit tests that drive code from several threads at once, built a second time
# with ThreadSanitizer (build/tests/tsan/<t>; -Wno-tsan: the ring code's fences
# order guest memory, which the tests serialize themselves).
TSAN_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=thread -fno-omit-frame-pointer \
	-Wall -Wextra -Werror -Wno-tsan -Ihv/include -Ihv -Iboot -DVMBHV_VERSION='"test"'
TSAN_TESTS := test_vmbus_threads test_hyperv_threads
TSAN_BINS  := $(TSAN_TESTS:%=$(B)/tests/tsan/%)

# Each unit test links the units it names (besides its own source) in tests/unit/<t>.deps.
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_TESTS:%=$(B)/tests/unit/%)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_TARGETS:%=$(B)/tests/fuzz/%)

# --- what the guest runs (README: "Choosing what runs") ---------------------------
HVCFG ?= config/hv.cfg
KERNEL_PKG ?= linux-image-cloud-amd64
GUEST_MODULES ?= hv_vmbus hv_utils vmbhv_probe
# SCREEN=1: the machine gets a screen, the guest a video device and a keyboard
# with their stock drivers, and a shell on its framebuffer console.
ifneq ($(SCREEN),)
GUEST_MODULES += hyperv_fb hyperv_keyboard
endif
# DISK=path.img: that image (created at DISK_MB MiB on first use) as a disk
# of the machine, served to the guest's stock hv_storvsc by a disk device
# (docs/storage.md); /init mounts its filesystem at /mnt/disk.
DISK_MB ?= 1024
# VCPUS=N: the guest's virtual processors (1-8), each on a CPU of its own:
# QEMU gets N CPUs and hv.cfg "vcpus = N" (docs/smp.md).
VCPUS ?= 2
comma := ,
ifneq ($(DISK),)
GUEST_MODULES += hv_storvsc sd_mod
endif
# NET=1: the machine gets a virtio-net card on QEMU's user network (host
# 127.0.0.1:$(NET_PORT) forwarded to the guest's port 80), the guest a nic
# device with the stock hv_netvsc, which /init brings up with DHCP.
NET_PORT ?= 8080
ifneq ($(NET),)
GUEST_MODULES += hv_netvsc
endif
# VPCI=rng: the machine gets a virtio-rng-pci behind its VT-d IOMMU, the guest
# a vpci device assigning it, so the guest's stock pci-hyperv, virtio_pci and
# virtio-rng drive it directly: /dev/hwrng (docs/vpci.md, "Assignment").
ifneq ($(VPCI),)
GUEST_MODULES += pci-hyperv virtio_pci virtio-rng
endif
ifeq ($(KERNEL),)
RUN_KERNEL := $(B)/guest/vmlinuz
else
RUN_KERNEL := $(KERNEL)
endif
ifeq ($(INITRD),)
RUN_INITRD := $(B)/guest/initrd.cpio.gz
else
RUN_INITRD := $(INITRD)
endif

.PHONY: all deps check-deps esp run test unit fuzz-bins unit-bins fuzz bench clean format FORCE
all: $(B)/esp.img

deps:
	@scripts/deps.sh install

check-deps:
	@scripts/deps.sh check

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.asm.o: %.asm $(B)/asm-offsets.inc
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -I$(B)/ -MD $(@:.o=.d) $< -o $@

# C struct offsets for NASM: "->NAME value" markers from the compiler's output.
$(B)/asm-offsets.inc: hv/arch/x86/asm-offsets.c hv/arch/x86/vmcb.h hv/arch/x86/trampoline.h
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -S -o - $< | sed -n 's/.*->\([A-Z0-9_]*\) \$$\?\([0-9]*\).*/%define \1 \2/p' > $@

$(B)/hv.elf: $(HV_OBJ) linker/hv.ld
	$(LD) $(HV_LDFLAGS) --no-undefined -o $@ $(HV_OBJ)

$(B)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(B)/loader.so: $(BOOT_OBJ)
	$(LD) -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined -T $(EFI_LIB)/elf_x86_64_efi.lds \
		$(EFI_LIB)/crt0-efi-x86_64.o $(BOOT_OBJ) -L$(EFI_LIB) -lefi -lgnuefi -o $@

$(B)/BOOTX64.EFI: $(B)/loader.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@

# The guest kernel comes from Debian packages, cached in build/cache (offline later).
$(B)/guest/vmlinuz: FORCE
	@guest/fetch-kernel.sh $(KERNEL_PKG)

# The guest-side VMBus probe, built against the matching Debian headers.
PROBE_KO := $(B)/guest/kmod/vmbhv_probe.ko
$(PROBE_KO): guest/kmod/vmbhv_probe.c guest/kmod/Kbuild guest/kmod/build.sh \
		guest/fetch-headers.sh guest/deb.sh $(RUN_KERNEL)
	guest/kmod/build.sh > /dev/null

# "vmbhv_probe" in GUEST_MODULES means the probe above, with its check script.
INITRD_MODULES := $(patsubst vmbhv_probe,$(PROBE_KO),$(GUEST_MODULES))
$(B)/guest/initrd.cpio.gz: guest/init guest/guest-check guest/udhcpc.sh guest/mkinitramfs.sh $(RUN_KERNEL) \
		$(filter $(PROBE_KO),$(INITRD_MODULES)) FORCE
	EXTRA_CHECKS="$(if $(filter vmbhv_probe,$(GUEST_MODULES)),guest/kmod/check-probe.sh)" \
		guest/mkinitramfs.sh $@.new $(INITRD_MODULES)
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

# The run's hv.cfg: HVCFG as is, or with vmbhv.mode=check added for CHECK=1,
# "trace = $(TRACE)" for TRACE=<classes>, a video device and a keyboard
# for SCREEN=1, a disk device for DISK=, a nic device for NET=1, and
# a vpci device assigning the virtio-rng for VPCI=rng, and
# vmbhv.root=$(ROOT) for ROOT=<guest device>, "vcpus = $(VCPUS)" (TRACE,
# ROOT and VCPUS through the environment: never shell text of the recipe).
$(B)/hv.cfg: export VMBHV_ROOT = $(ROOT)
$(B)/hv.cfg: export VMBHV_TRACE = $(TRACE)
$(B)/hv.cfg: export VMBHV_VCPUS = $(VCPUS)
$(B)/hv.cfg: FORCE
	@mkdir -p $(B)
	@scripts/mkcfg.sh $(HVCFG) $(if $(CHECK),check,shell) "$$VMBHV_TRACE" $(if $(SCREEN),screen) \
		$(if $(DISK),disk) $(if $(NET),nic) $(if $(VPCI),vpci) $(if $(ROOT),"root=$$VMBHV_ROOT") \
		"vcpus=$$VMBHV_VCPUS" > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

# What goes on the boot volume, as scripts/mkesp.sh takes it: BOOTX64.EFI,
# hv.elf, hv.cfg, then SRC=DEST. Anything a make variable puts on the volume
# belongs here. The manifest (path, size, sha256 of each) is rewritten only
# when that changes, so the volume is rebuilt when what goes on it changes,
# whatever the files' dates (README: "Choosing what runs").
ESP_FILES := $(B)/BOOTX64.EFI $(B)/hv.elf $(B)/hv.cfg $(RUN_KERNEL)=hv/vmlinuz $(RUN_INITRD)=hv/initrd

$(B)/esp.manifest: $(foreach f,$(ESP_FILES),$(firstword $(subst =, ,$(f)))) FORCE
	@scripts/esp-manifest.sh $@ $(ESP_FILES)

$(B)/esp.img: $(B)/esp.manifest
	scripts/mkesp.sh $@ $(ESP_FILES)

# The boot volume, then one line: the kernel and initramfs it boots.
esp: $(B)/esp.img
	@scripts/esp-manifest.sh --show $(B)/esp.manifest

run: export VMBHV_VPCI = $(VPCI)
run: export VMBHV_VCPUS = $(VCPUS)
run: check-deps esp
	@if [ -n "$(DISK)" ] && [ ! -e "$(DISK)" ]; then \
		truncate -s $(DISK_MB)M "$(DISK)" && echo "run: created $(DISK) ($(DISK_MB) MiB, empty)"; fi
	scripts/qemu.sh --esp $(B)/esp.img --log $(B)/logs/run.log $(if $(CHECK),--timeout 300,--interactive) \
		$(if $(SCREEN),--screen $(if $(CHECK),none,window)) \
		$(if $(DISK),--disk "$(DISK)$(comma)serial=vmbhv-disk") $(if $(NET),--nic $(NET_PORT)) \
		$(if $(IOMMU),--iommu) $(if $(VPCI),--assign "$$VMBHV_VPCI") --smp "$$VMBHV_VCPUS"

# --- tests ------------------------------------------------------------------------
.SECONDEXPANSION:
$(B)/tests/unit/%: tests/unit/%.c tests/unit/%.deps $$(shell cat tests/unit/$$*.deps) \
		$(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TEST_CFLAGS) -o $@ $< $(shell cat tests/unit/$*.deps) -lcmocka
	@$(HOSTCC) $(TEST_CFLAGS) -MM -MP -MT $@ $< $(shell cat tests/unit/$*.deps) > $@.d

$(B)/tests/tsan/%: tests/unit/%.c tests/unit/%.deps $$(shell cat tests/unit/$$*.deps) \
		$(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TSAN_CFLAGS) -o $@ $< $(shell cat tests/unit/$*.deps) -lcmocka
	@$(HOSTCC) $(TSAN_CFLAGS) -MM -MP -MT $@ $< $(shell cat tests/unit/$*.deps) > $@.d

# tests/fuzz/<t>.nocov, if there: sources linked without coverage feedback.
$(B)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/%.deps $$(shell cat tests/fuzz/$$*.deps) \
		$(wildcard tests/unit/*.h) $$(wildcard tests/fuzz/$$*.nocov)
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZ_CFLAGS) $(if $(wildcard tests/fuzz/$*.nocov),-fsanitize-coverage-ignorelist=tests/fuzz/$*.nocov) \
		-o $@ $< $(shell cat tests/fuzz/$*.deps)
	@$(FUZZCC) $(FUZZ_CFLAGS) -MM -MP -MT $@ $< $(shell cat tests/fuzz/$*.deps) > $@.d

unit-bins: $(UNIT_BINS) $(TSAN_BINS)
fuzz-bins: $(FUZZ_BINS)

test: check-deps all unit-bins fuzz-bins
	tests/run.sh

fuzz: fuzz-bins
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

# Boot times (direct vs vmbhv), then VMBus echo throughput and idle exits, the
# screen, the disk, the network, the guest on 1, 2 and 4 VPs (smp.sh), and a
# machine function given through vPCI against the same given directly (vpci.sh).
bench: check-deps all
	tests/bench/boot.sh
	tests/bench/echo.sh
	tests/bench/video.sh
	tests/bench/disk.sh
	tests/bench/net.sh
	tests/bench/smp.sh
	tests/bench/vpci.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)/hv $(B)/efi $(B)/tests $(B)/*.elf $(B)/*.so $(B)/*.EFI $(B)/*.img $(B)/esp.manifest $(B)/logs

-include $(shell find $(B) -name '*.d' 2>/dev/null)
