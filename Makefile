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

HV_LIB_SRC  := $(wildcard hv/lib/*.c)
HV_ARCH_SRC := $(wildcard hv/arch/x86/*.c)
HV_ASM_SRC  := $(wildcard hv/arch/x86/*.asm)
HV_SRC      := hv/main.c $(HV_ARCH_SRC) $(HV_LIB_SRC)
HV_OBJ      := $(HV_SRC:%.c=$(B)/%.o) $(HV_ASM_SRC:%.asm=$(B)/%.asm.o)

# --- the UEFI loader (GNU-EFI) ------------------------------------------------
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := -std=c11 -O2 -g -fpic -fshort-wchar -mno-red-zone -ffreestanding \
	-fno-stack-protector -maccumulate-outgoing-args -mgeneral-regs-only \
	-DGNU_EFI_USE_MS_ABI -I$(EFI_INC) -I$(EFI_INC)/x86_64 -Ihv/include -Ihv -Iboot \
	$(WARN) -Wno-strict-prototypes $(VERSION_DEFINE)
# Shared, hardware-free pieces of hv/lib the loader links (not mem.c: libefi has memcpy).
BOOT_LIB_SRC := hv/lib/config.c hv/lib/fmt.c hv/lib/str.c
BOOT_SRC := $(wildcard boot/*.c)
BOOT_OBJ := $(BOOT_SRC:%.c=$(B)/efi/%.o) $(BOOT_LIB_SRC:%.c=$(B)/efi/%.o)

# --- host tests -----------------------------------------------------------------
TEST_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Werror -Ihv/include -Ihv -Iboot \
	-DVMBHV_VERSION='"test"'
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-Wall -Wextra -Werror -Ihv/include -Ihv -Iboot

# Each unit test links the units it names (besides its own source) in tests/unit/<t>.deps.
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_TESTS:%=$(B)/tests/unit/%)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_TARGETS:%=$(B)/tests/fuzz/%)

ESP_CFG ?= config/hv.cfg

.PHONY: all deps check-deps run test unit fuzz-bins unit-bins fuzz bench clean format
all: $(B)/esp.img

deps:
	@scripts/deps.sh install

check-deps:
	@scripts/deps.sh check

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -MD $(@:.o=.d) $< -o $@

$(B)/hv.elf: $(HV_OBJ) linker/hv.ld
	$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJ)

$(B)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(B)/loader.so: $(BOOT_OBJ)
	$(LD) -nostdlib -znocombreloc -shared -Bsymbolic -T $(EFI_LIB)/elf_x86_64_efi.lds \
		$(EFI_LIB)/crt0-efi-x86_64.o $(BOOT_OBJ) -L$(EFI_LIB) -lefi -lgnuefi -o $@

$(B)/BOOTX64.EFI: $(B)/loader.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@

$(B)/esp.img: $(B)/BOOTX64.EFI $(B)/hv.elf $(ESP_CFG) scripts/mkesp.sh
	scripts/mkesp.sh $@ $(B)/BOOTX64.EFI $(B)/hv.elf $(ESP_CFG)

run: check-deps all
	scripts/qemu.sh --esp $(B)/esp.img --log $(B)/logs/run.log $(if $(CHECK),--timeout 300,--interactive)

# --- tests ------------------------------------------------------------------------
.SECONDEXPANSION:
$(B)/tests/unit/%: tests/unit/%.c tests/unit/%.deps $$(shell cat tests/unit/$$*.deps) \
		$(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TEST_CFLAGS) -MMD -MP -o $@ $< $(shell cat tests/unit/$*.deps) -lcmocka

$(B)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/%.deps $$(shell cat tests/fuzz/$$*.deps)
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(shell cat tests/fuzz/$*.deps)

unit-bins: $(UNIT_BINS)
fuzz-bins: $(FUZZ_BINS)

test: check-deps all unit-bins fuzz-bins
	tests/run.sh

fuzz: fuzz-bins
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)/hv $(B)/efi $(B)/tests $(B)/*.elf $(B)/*.so $(B)/*.EFI $(B)/*.img $(B)/logs

-include $(shell find $(B) -name '*.d' 2>/dev/null)
