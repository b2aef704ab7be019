#!/bin/bash
# fetch-headers.sh [RELEASE] - fetch the Debian kernel headers for the guest
# kernel, so that out-of-tree modules (guest/kmod/) can be built against it.
#
# RELEASE defaults to build/guest/kernel-release (from fetch-kernel.sh). Three
# packages are downloaded (`apt-get download`, never a URL) and unpacked into
# ONE root, build/cache/headers/<release>/, so their relative symlinks resolve:
#   linux-headers-<release>            per-flavour: .config, Module.symvers, generated headers
#   linux-headers-<abi>-common         its Depends: the shared source headers and Makefile
#   linux-kbuild-<major.minor>         its Depends: prebuilt fixdep, modpost, objtool, ...
# The version is pinned to the installed kernel image's when that .deb is in
# build/cache/debs/. Absolute symlinks and the flavour Makefile's absolute
# `include /usr/src/...` are rewritten to stay inside the root, so
#   make -C build/cache/headers/<release>/usr/src/linux-headers-<release> M=DIR modules
# works without anything under /usr/src or /usr/lib.
#
# With build/cache/headers/<release>/.complete present no apt call is made.
# Prints the kbuild directory (the `make -C` argument) on stdout.
# Environment: BUILD_DIR (default build/), REFRESH=1 unpacks again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$(dirname "$here")/build}
debs=$build/cache/debs
hcache=$build/cache/headers

# say, die, need, apt_download (sets $got)
# shellcheck source-path=SCRIPTDIR source=deb.sh
. "$here/deb.sh"

release=${1:-$(cat "$build/guest/kernel-release" 2>/dev/null || true)}
[ -n "$release" ] || die "kernel release unknown: run guest/fetch-kernel.sh first (or pass RELEASE)"
root=$hcache/$release
kdir=$root/usr/src/linux-headers-$release

need dpkg-deb dpkg
mkdir -p "$debs" "$hcache"

# dep_of DEB PREFIX: "NAME VERSION" of DEB's first Depends entry named PREFIX*
# (VERSION empty if unversioned).
dep_of() {
	dpkg-deb -f "$1" Depends | tr ',|' '\n' |
		sed -n "s/^ *\\($2[^ ]*\\) *\\((\\([<>=]*\\) *\\([^)]*\\))\\)\\{0,1\\}.*/\\1 \\4/p" | head -n1
}

unpack() {
	local hdr common kbuild compiler ver name cver tmp l t
	# Pin to the kernel image's version when we have it.
	set -- "$debs/linux-image-${release}_"*.deb
	ver=
	[ -f "$1" ] && ver=$(dpkg-deb -f "$1" Version)
	apt_download "linux-headers-$release${ver:+=$ver}"
	hdr=$got
	ver=$(dpkg-deb -f "$hdr" Version)

	read -r name cver < <(dep_of "$hdr" linux-headers-) ||
		die "${hdr##*/}: no linux-headers-*-common in Depends"
	apt_download "$name=${cver:-$ver}"
	common=$got
	read -r name cver < <(dep_of "$hdr" linux-kbuild-) ||
		die "${hdr##*/}: no linux-kbuild-* in Depends"
	# ">= VERSION": take exactly the version the headers were built with.
	apt_download "$name=${cver:-$ver}"
	kbuild=$got
	# linux-compiler-gcc-12-x86 only depends on gcc-12: record the name for build checks.
	compiler=$(dep_of "$hdr" linux-compiler-gcc- | sed -n 's/^linux-compiler-\(gcc-[0-9]*\).*/\1/p')

	tmp=$(mktemp -d "$hcache/.x.XXXXXX")
	for d in "$hdr" "$common" "$kbuild"; do
		say "extracting ${d##*/}"
		dpkg-deb -x "$d" "$tmp" || { rm -rf "$tmp"; die "dpkg-deb -x ${d##*/} failed"; }
	done
	[ -f "$tmp/usr/src/linux-headers-$release/Makefile" ] ||
		{ rm -rf "$tmp"; die "${hdr##*/}: no usr/src/linux-headers-$release/Makefile"; }

	# Absolute symlinks (lib/modules/<release>/build, source) -> relative, inside the root.
	while IFS= read -r l; do
		t=$(readlink "$l")
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$tmp$t")" "$l"
	done < <(find "$tmp" -type l -lname '/*')
	# The flavour Makefile is "include /usr/src/linux-headers-<abi>-common/Makefile";
	# make it relative to the Makefile itself (the common Makefile derives
	# srctree from its own path, so the rest follows).
	# shellcheck disable=SC2016 # $(...) is make syntax, written literally
	sed -i 's|^include /usr/src/|include $(dir $(lastword $(MAKEFILE_LIST)))../|' \
		"$tmp/usr/src/linux-headers-$release/Makefile"

	printf 'release=%s\nversion=%s\ncompiler=%s\ndebs=%s %s %s\n' "$release" "$ver" \
		"${compiler:-gcc}" "${hdr##*/}" "${common##*/}" "${kbuild##*/}" >"$tmp/.resolved"
	rm -rf "${root:?}"
	mv "$tmp" "$root"
	touch "$root/.complete"
}

if [ -n "${REFRESH:-}" ] || [ ! -f "$root/.complete" ]; then
	unpack
else
	say "cached: $root"
fi

# --- what building a module needs (report every missing Debian package) ---
compiler=$(sed -n 's/^compiler=//p' "$root/.resolved")
missing=()
command -v make >/dev/null 2>&1 || missing+=(make)
command -v "$compiler" >/dev/null 2>&1 || missing+=("$compiler")
for b in "$kdir"/scripts/basic/fixdep "$kdir"/scripts/mod/modpost "$kdir"/tools/objtool/objtool; do
	[ -x "$b" ] || die "$b missing from the unpacked linux-kbuild package"
	# shared libraries the prebuilt tools need: libelf1 (objtool), zlib1g, libc6
	for lib in $(ldd "$b" 2>/dev/null | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p'); do
		case $lib in
		libelf.so*) missing+=(libelf1) ;;
		libz.so*) missing+=(zlib1g) ;;
		libcrypto.so*) missing+=(libssl3) ;;
		*) missing+=("(the package providing $lib)") ;;
		esac
	done
done
if [ ${#missing[@]} -gt 0 ]; then
	die "to build modules, install the Debian package(s): $(printf '%s\n' "${missing[@]}" | sort -u | paste -sd' ')"
fi

say "headers $release ($(sed -n 's/^version=//p' "$root/.resolved"), compiler $compiler)"
echo "$kdir"
