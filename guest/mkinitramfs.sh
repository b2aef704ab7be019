#!/bin/bash
# mkinitramfs.sh OUT.cpio.gz [MODULE ...] - build the guest initramfs.
#
# Contents: static busybox and its applet symlinks, /init (guest/init),
# /sbin/poweroff, reboot and halt (guest/poweroff), /bin/guest-check,
# /bin/fbpattern, /bin/diskbench, /etc/vmbhv/udhcpc.sh (guest/udhcpc.sh),
# /etc/vmbhv/modules (the modules to insmod, dependencies
# first), the module files under /lib/modules/<release>/ (decompressed), and
# guest/checks/*.sh in /etc/vmbhv/checks/.
#
# MODULE is a module name (hv_vmbus, hv-utils, ...) looked up in
# build/guest/modules (from fetch-kernel.sh), or the path of an out-of-tree
# .ko (stored under /lib/modules/<release>/extra/); dependencies are taken from
# each module's "depends=" modinfo field, so neither modules.dep nor kmod is
# needed.
#
# Environment:
#   MODULES_DIR        default build/guest/modules
#   KERNEL_RELEASE     default: contents of build/guest/kernel-release
#   BUSYBOX            default /bin/busybox (Debian package busybox-static)
#   SOURCE_DATE_EPOCH  timestamp for every file, default 0 (reproducible output)
#   EXTRA_CHECKS       more check scripts for /etc/vmbhv/checks/ (space separated)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$(dirname "$here")/build}

say() { echo "mkinitramfs: $*" >&2; }
die() { say "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install the Debian package '$2'"; }

[ $# -ge 1 ] || die "usage: $0 OUT.cpio.gz [MODULE ...]"
out=$1
shift

need cpio cpio
need gzip gzip
busybox=${BUSYBOX:-/bin/busybox}
if [ -z "${BUSYBOX:-}" ]; then
	dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q ' installed$' ||
		die "install the Debian package 'busybox-static' (a static /bin/busybox)"
fi
[ -x "$busybox" ] || die "$busybox not found; install the Debian package 'busybox-static'"

stage=$(mktemp -d "${TMPDIR:-/tmp}/vmbhv-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root,etc/vmbhv/checks}

# --- busybox and its applets (absolute symlinks; /init is our own script) ---
cp "$busybox" "$stage/bin/busybox"
# one process for the ~270 links (a fork each made this the slowest step)
"$busybox" --list-full | perl -e 'my $stage = shift;
	while (my $a = <STDIN>) {
		chomp $a;
		next if $a eq "linuxrc" || $a eq "bin/busybox";
		(my $dir = "$stage/$a") =~ s{/[^/]*$}{};
		system("mkdir", "-p", $dir) == 0 or die "mkdir $dir\n" unless -d $dir;
		symlink("/bin/busybox", "$stage/$a") or die "ln $a: $!\n";
	}' "$stage" || die "cannot link the busybox applets"

install -m 0755 "$here/init" "$stage/init"
install -m 0755 "$here/guest-check" "$stage/bin/guest-check"
install -m 0755 "$here/udhcpc.sh" "$stage/etc/vmbhv/udhcpc.sh"
# static programs without a C library (nolibc.h; fbpattern.c says why they are
# not scripts)
for prog in fbpattern diskbench; do
	gcc -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -O2 \
		-fno-tree-loop-distribute-patterns -Wall -Wextra -Werror -I"$here" \
		-o "$stage/bin/$prog" "$here/$prog.c" || die "cannot build $prog"
done
# power-off without asking PID 1 (guest/poweroff says why)
for applet in poweroff reboot halt; do
	rm -f "$stage/sbin/$applet"
	install -m 0755 "$here/poweroff" "$stage/sbin/$applet"
done
for f in "$here"/checks/*.sh ${EXTRA_CHECKS:-}; do
	[ -e "$f" ] && install -m 0755 "$f" "$stage/etc/vmbhv/checks/"
done

# --- modules ---
: >"$stage/etc/vmbhv/modules"
if [ $# -gt 0 ]; then
	moddir=${MODULES_DIR:-$build/guest/modules}
	release=${KERNEL_RELEASE:-$(cat "$build/guest/kernel-release" 2>/dev/null || true)}
	[ -d "$moddir" ] || die "$moddir not found; run guest/fetch-kernel.sh first"
	[ -n "$release" ] || die "kernel release unknown; set KERNEL_RELEASE or run guest/fetch-kernel.sh"

	# modname FILE: module name of a .ko[.xz|.zst|.gz] path ("-" reads as "_")
	modname() { local b=${1##*/}; b=${b%%.ko*}; echo "${b//-/_}"; }

	declare -A path_of=() seen=()
	while read -r f; do # no $(modname): a fork per module of the kernel's thousands
		b=${f##*/}
		b=${b%%.ko*}
		path_of[${b//-/_}]=$f
	done < <(cd "$moddir" && find . -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' | sed 's|^\./||')
	# out-of-tree modules given by path: "/abs/x.ko" marks them
	args=()
	for m in "$@"; do
		if [[ $m == */* ]]; then
			[ -f "$m" ] || die "module file $m not found"
			path_of[$(modname "$m")]=$(cd "$(dirname "$m")" && pwd)/${m##*/}
			m=$(modname "$m")
		fi
		args+=("$m")
	done
	set -- "${args[@]}"

	# modcat FILE: the uncompressed module on stdout
	modcat() {
		case $1 in
		*.xz) need xz xz-utils; xz -dc "$1" ;;
		*.zst) need zstd zstd; zstd -qdc "$1" ;;
		*.gz) gzip -dc "$1" ;;
		*) cat "$1" ;;
		esac
	}

	# add NAME: copy NAME's dependencies, then NAME (depth first, each once)
	add() {
		local name=${1//-/_} rel dst deps d
		[ -z "${seen[$name]:-}" ] || return 0
		seen[$name]=1
		rel=${path_of[$name]:-}
		if [ -z "$rel" ]; then
			tr - _ <"$moddir/modules.builtin" 2>/dev/null | grep -q "/${name}\.ko\$" &&
				{ say "$name is built into the kernel; skipping"; return 0; }
			die "module '$name' not found under $moddir"
		fi
		if [[ $rel == /* ]]; then
			dst=lib/modules/$release/extra/$name.ko
		else
			dst=lib/modules/$release/${rel%.ko*}.ko
			rel=$moddir/$rel
		fi
		mkdir -p "$stage/${dst%/*}"
		modcat "$rel" >"$stage/$dst"
		deps=$(tr '\0' '\n' <"$stage/$dst" | sed -n 's/^depends=//p' | head -n1)
		for d in ${deps//,/ }; do add "$d"; done
		echo "/$dst" >>"$stage/etc/vmbhv/modules"
		say "module $name${deps:+ (depends: $deps)}"
	}
	for m in "$@"; do add "$m"; done
fi

# --- archive: sorted names, fixed owner/mtime/permissions, no inode/dev noise ---
find "$stage" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
chmod -R u+rwX,go+rX,go-w "$stage"
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$out.tmp"
mv "$out.tmp" "$out"
say "$out: $(wc -c <"$out") bytes, $(grep -c . "$stage/etc/vmbhv/modules" || true) modules"
