# shellcheck shell=bash
# deb.sh - sourced (not run) by fetch-kernel.sh and fetch-headers.sh: their
# messages and apt_download, the one way they get a Debian package.
# The sourcing script sets $debs, the .deb cache (build/cache/debs/).

# Messages name the script that sourced this file: "fetch-kernel: ...".
me=$(basename "$0" .sh)
say() { echo "$me: $*" >&2; }
die() { say "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install the Debian package '$2'"; }

# apt_download NAME[=VERSION]: download one .deb into $debs (unless a .deb of
# that exact version is already there); its path -> $got. (Results go through
# a variable, not $(...), so that die exits the script.) Retries once after
# `apt-get update` (when root), since the usual failure is missing lists.
apt_download() {
	local name=${1%%=*} ver='' tmp deb opts=() hit
	case $1 in *=*) ver=${1#*=} ;; esac
	if [ -n "$ver" ]; then
		# apt names files NAME_VERSION_ARCH.deb, with an epoch's ':' as %3a
		hit=("$debs/${name}_${ver//:/%3a}_"*.deb)
		[ -f "${hit[0]}" ] && { got=${hit[0]}; return 0; }
	fi
	need apt-get apt
	[ "$(id -u)" = 0 ] && opts=(-o APT::Sandbox::User=root)
	tmp=$(mktemp -d "$debs/.dl.XXXXXX")
	if ! (cd "$tmp" && apt-get download -q "${opts[@]}" "$1" >&2); then
		if [ "$(id -u)" != 0 ]; then
			rm -rf "$tmp"
			die "apt-get download $1 failed; if the package lists are missing, run: sudo apt-get update"
		fi
		say "apt-get download $1 failed; running apt-get update and retrying"
		apt-get update -q >&2 || { rm -rf "$tmp"; die "apt-get update failed"; }
		(cd "$tmp" && apt-get download -q "${opts[@]}" "$1" >&2) ||
			{ rm -rf "$tmp"; die "apt-get download $1 failed (Debian package '$name')"; }
	fi
	deb=$(ls "$tmp"/*.deb)
	mv "$deb" "$debs/"
	rmdir "$tmp"
	# shellcheck disable=SC2034 # read by the sourcing script
	got=$debs/${deb##*/}
}
