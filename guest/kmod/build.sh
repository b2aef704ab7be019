#!/bin/bash
# build.sh [MODULE...] - build the guest modules of this directory
# (build/guest/kmod/vmbhv_probe.ko, vmbhv_attack.ko) for the guest kernel and
# check that the guest's insmod will accept them.
#
# Every module in Kbuild is built and checked on every run; the .ko paths of
# the MODULEs named (vmbhv_probe, vmbhv_attack; default vmbhv_probe) are
# printed on stdout, one a line, in the order named.
#
# Fetches the matching Debian headers first (guest/fetch-headers.sh; no apt
# call once cached). Kbuild of Linux 6.1 writes its objects next to the
# sources, so the sources are copied to the output directory (only when they
# changed) and built there:
#   make -C build/cache/headers/<release>/usr/src/linux-headers-<release> M=build/guest/kmod modules
# Checks after the build (exit status 1 if one fails; not repeated while the
# modules, the headers' Module.symvers, the stock hv_vmbus.ko and this script
# are what they were when they last passed: build/guest/kmod/checked):
#   - vermagic equals the stock hv_vmbus.ko's (build/guest/modules, from
#     fetch-kernel.sh), e.g. "6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions"
#   - every symbol CRC in the module's __versions equals the headers'
#     Module.symvers, and the CRC stock modules of the guest kernel import
#     for the same symbol
#   - depends= as the module needs (vmbhv_probe: hv_vmbus; vmbhv_attack:
#     none), license "Dual MIT/GPL"
# Environment: BUILD_DIR (default build/), V=1 for verbose kbuild.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$(cd "$here/../.." && pwd)/build}
out=$build/guest/kmod
# the modules Kbuild builds, and the depends= each must have
declare -A depends=([vmbhv_probe]=hv_vmbus [vmbhv_attack]="")
modules=(vmbhv_probe vmbhv_attack)

say() { echo "kmod: $*" >&2; }
die() { say "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install the Debian package '$2'"; }

need objcopy binutils
need objdump binutils
need perl perl-base
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(vmbhv_probe)
for m in "${wanted[@]}"; do
	[ -n "${depends[$m]+set}" ] || die "unknown module '$m' (known: ${modules[*]})"
done
kdir=$(BUILD_DIR=$build "$here/../fetch-headers.sh")
release=${kdir##*/linux-headers-}

mkdir -p "$out"
for f in "${modules[@]/%/.c}" Kbuild; do
	cmp -s "$here/$f" "$out/$f" || cp "$here/$f" "$out/$f"
done
say "make -C $kdir M=$out modules"
make -C "$kdir" M="$out" V="${V:-0}" modules >&2 || die "module build failed"
for m in "${modules[@]}"; do
	ko=$out/$m.ko
	[ -f "$ko" ] || die "$ko not built"
	# Like Debian's own modules (and modules_install INSTALL_MOD_STRIP=1): no debug
	# info, ~300 KiB -> ~20 KiB. In place; make leaves the newer .ko alone.
	if objdump -h "$ko" | grep -q ' \.debug_'; then
		objcopy --strip-debug "$ko" || die "objcopy --strip-debug $ko failed"
	fi
done

# --- checks -----------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmbhv-kmod.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { say "FAIL: $*"; fail=1; }

# section KO NAME: raw bytes of section NAME on stdout
section() { objcopy -O binary --only-section="$2" "$1" "$tmp/sec" && cat "$tmp/sec"; }
# modinfo_field KO FIELD: first value of FIELD in .modinfo
modinfo_field() { section "$1" .modinfo | tr '\0' '\n' | sed -n "s/^$2=//p" | head -n1; }
# versions KO: "CRC NAME" lines from __versions (struct modversion_info: u64 crc, char name[56])
versions() {
	section "$1" __versions | perl -e 'local $/; my $d = <STDIN>;
		for (my $i = 0; $i + 64 <= length $d; $i += 64) {
			my ($crc, $name) = unpack "Q< Z56", substr($d, $i, 64);
			printf "0x%08x %s\n", $crc, $name;
		}'
}

stock=$build/guest/modules
if [ -f "$stock/kernel/drivers/hv/hv_vmbus.ko" ]; then
	want=$(modinfo_field "$stock/kernel/drivers/hv/hv_vmbus.ko" vermagic)
else
	want="$release SMP preempt mod_unload modversions "
	say "no stock hv_vmbus.ko under $stock (run guest/fetch-kernel.sh); expecting '$want'"
fi

# check_module NAME: every check on build/guest/kmod/NAME.ko
check_module() {
	local m=$1 ko=$out/$1.ko vermagic crc sym sv got nsym=0 nstock=0
	vermagic=$(modinfo_field "$ko" vermagic)
	[ "$vermagic" = "$want" ] || bad "$m: vermagic '$vermagic' != kernel's '$want'"
	[ "$(modinfo_field "$ko" depends)" = "${depends[$m]}" ] ||
		bad "$m: depends='$(modinfo_field "$ko" depends)', want '${depends[$m]}'"
	[ "$(modinfo_field "$ko" license)" = "Dual MIT/GPL" ] || bad "$m: license is not 'Dual MIT/GPL'"

	versions "$ko" >"$tmp/ours"
	[ -s "$tmp/ours" ] || bad "$m: no __versions section (CONFIG_MODVERSIONS module expected)"
	while read -r crc sym; do
		nsym=$((nsym + 1))
		sv=$(awk -v s="$sym" '$2 == s { print $1; exit }' "$kdir/Module.symvers")
		if [ "$sym" = module_layout ] && [ -z "$sv" ]; then :
		elif [ "$sv" != "$crc" ]; then
			bad "$m: $sym: CRC $crc, Module.symvers has '${sv:-nothing}'"
			continue
		fi
		# the same symbol as imported by up to 3 stock modules of the guest kernel
		[ -d "$stock/kernel" ] || continue
		while read -r s; do
			got=$(versions "$s" | awk -v s="$sym" '$2 == s { print $1; exit }')
			[ -n "$got" ] || continue
			nstock=$((nstock + 1))
			[ "$got" = "$crc" ] || bad "$m: $sym: CRC $crc, stock ${s##*/} imports $got"
		done < <(grep -rlaF --include='*.ko' "$sym" "$stock/kernel/" | head -n 3)
	done <"$tmp/ours"

	say "$ko: $(wc -c <"$ko") bytes"
	say "  vermagic=$vermagic"
	say "  depends=$(modinfo_field "$ko" depends) license=$(modinfo_field "$ko" license) alias=$(modinfo_field "$ko" alias)"
	say "  __versions: $nsym symbols checked against Module.symvers, $nstock cross-checks against stock modules"
}
# The checks read every stock module per symbol (most of this script's time):
# run them again only when a module, the headers' symbols, the stock kernel
# or this script changed since they last passed.
key=$( (for m in "${modules[@]}"; do cat "$out/$m.ko"; done
	cat "$kdir/Module.symvers" "$0"
	[ -f "$stock/kernel/drivers/hv/hv_vmbus.ko" ] && cat "$stock/kernel/drivers/hv/hv_vmbus.ko") |
	sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/checked" 2>/dev/null)" = "$key" ]; then
	say "checks passed before for these modules, headers and kernel: not repeated"
else
	rm -f "$out/checked"
	for m in "${modules[@]}"; do check_module "$m"; done
	[ "$fail" = 0 ] || die "checks failed"
	echo "$key" >"$out/checked"
fi
for m in "${wanted[@]}"; do echo "$out/$m.ko"; done
