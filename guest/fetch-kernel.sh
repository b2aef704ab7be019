#!/bin/bash
# fetch-kernel.sh [PKG] - fetch a Debian kernel image package for the guest.
#
# PKG (default linux-image-cloud-amd64) may be a meta package; it is resolved
# to the versioned image package it depends on (linux-image-6.1.0-NN-...).
# The .deb is kept in build/cache/debs/, unpacked in build/cache/kernel/<release>/,
# and the resolution is recorded in build/cache/kernel/<PKG>.resolved, so a
# later run with the cache in place makes no apt calls at all (works offline).
# Set REFRESH=1 to resolve PKG again against the current package lists.
#
# Outputs (stable paths for the Makefile):
#   build/guest/vmlinuz          copy of the kernel's bzImage
#   build/guest/kernel-release   its `uname -r` string
#   build/guest/modules          symlink to its lib/modules/<release>
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$(dirname "$here")/build}
debs=$build/cache/debs
kcache=$build/cache/kernel
out=$build/guest
pkg=${1:-linux-image-cloud-amd64}

# say, die, need, apt_download (sets $got)
# shellcheck source-path=SCRIPTDIR source=deb.sh
. "$here/deb.sh"

need dpkg-deb dpkg
mkdir -p "$debs" "$kcache" "$out"

# is_image DEB: true if the package ships a kernel image (not a meta package).
is_image() { dpkg-deb -c "$1" | grep '/boot/vmlinuz-' >/dev/null; }

# resolve_pkg NAME: download NAME, following meta-package Depends to the
# versioned image package. The path of the image .deb -> $got.
resolve_pkg() {
	local name=$1 deb dep hops=0
	while :; do
		apt_download "$name"
		deb=$got
		is_image "$deb" && return 0
		hops=$((hops + 1))
		[ "$hops" -le 3 ] || die "$1: no kernel image found after 3 levels of Depends"
		# "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2), ..." -> NAME=VERSION
		dep=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n' |
			sed -n 's/^ *\(linux-image-[^ ]*\) *\((= *\([^)]*\))\)\{0,1\}.*/\1=\3/p' | head -n1)
		[ -n "$dep" ] || die "$name is neither a kernel image nor depends on a linux-image-* package"
		say "$name -> ${dep%=}"
		rm -f "$deb"   # meta packages are tiny; only the image is cached
		name=${dep%=}  # NAME=VERSION: apt_download takes it from $debs if there
	done
}

record=$kcache/$pkg.resolved
package='' version='' deb='' release=''
if [ -z "${REFRESH:-}" ] && [ -s "$record" ]; then
	# package=, version=, deb=, release= lines written by a previous run
	while IFS='=' read -r k v; do
		case $k in package | version | deb | release) printf -v "$k" '%s' "$v" ;; esac
	done <"$record"
fi

if [ -n "$release" ] && [ -f "$kcache/$release/.complete" ]; then
	say "cached: $pkg -> $package $version ($release)"
else
	if [ -n "$deb" ] && [ -f "$debs/$deb" ]; then
		debpath=$debs/$deb
	elif [ -n "$package" ]; then
		apt_download "$package=$version"
		debpath=$got
	else
		resolve_pkg "$pkg"
		debpath=$got
	fi
	package=$(dpkg-deb -f "$debpath" Package)
	version=$(dpkg-deb -f "$debpath" Version)

	say "extracting ${debpath##*/}"
	tmp=$(mktemp -d "$kcache/.x.XXXXXX")
	dpkg-deb -x "$debpath" "$tmp"
	set -- "$tmp"/boot/vmlinuz-*
	if [ $# != 1 ] || [ ! -f "$1" ]; then
		rm -rf "$tmp"
		die "${debpath##*/}: expected exactly one boot/vmlinuz-*"
	fi
	release=${1##*/vmlinuz-}
	rm -rf "${kcache:?}/$release"
	mv "$tmp" "$kcache/$release"
	touch "$kcache/$release/.complete"

	printf 'package=%s\nversion=%s\ndeb=%s\nrelease=%s\n' \
		"$package" "$version" "${debpath##*/}" "$release" >"$record.tmp"
	mv "$record.tmp" "$record"
fi

kdir=$kcache/$release
# Debian 12 ships modules in /lib; later releases in /usr/lib.
for m in lib/modules usr/lib/modules ''; do
	[ -n "$m" ] || die "$kdir: no lib/modules/$release"
	[ -d "$kdir/$m/$release" ] && break
done

# Only touch outputs when they change, so make does not rebuild needlessly.
cmp -s "$kdir/boot/vmlinuz-$release" "$out/vmlinuz" || cp "$kdir/boot/vmlinuz-$release" "$out/vmlinuz"
[ "$(cat "$out/kernel-release" 2>/dev/null)" = "$release" ] || echo "$release" >"$out/kernel-release"
link=../cache/kernel/$release/$m/$release
if [ "$(readlink "$out/modules" 2>/dev/null)" != "$link" ]; then
	rm -rf "$out/modules"
	ln -s "$link" "$out/modules"
fi

say "kernel $release ($package $version)"
say "  $out/vmlinuz"
say "  $out/kernel-release"
say "  $out/modules -> $link"
