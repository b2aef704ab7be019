#!/usr/bin/env bash
# deps.sh check|install — the Debian packages vmbhv needs to build, run and test.
# check: installs what is missing when run as root, else prints the apt-get line
# and fails. install: the same, always trying.
set -euo pipefail
mode=${1:-check}

# file-or-command  package
need=(
    gcc:gcc make:make ld:binutils nasm:nasm clang:clang
    /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
    /usr/lib/crt0-efi-x86_64.o:gnu-efi mformat:mtools mcopy:mtools
    qemu-system-x86_64:qemu-system-x86 /usr/share/ovmf/OVMF.fd:ovmf
    /usr/include/cmocka.h:libcmocka-dev
    /bin/busybox:busybox-static cpio:cpio xz:xz-utils zstd:zstd iasl:acpica-tools
    apt-get:apt dpkg-deb:dpkg gzip:gzip timeout:coreutils
)

missing=()
for n in "${need[@]}"; do
    what=${n%:*} pkg=${n##*:}
    if [[ $what == /* ]]; then [ -e "$what" ] && continue
    else command -v "$what" > /dev/null 2>&1 && continue; fi
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done
((${#missing[@]})) || exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run: sudo $line" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $line; then
    apt-get update -q && $line
fi
