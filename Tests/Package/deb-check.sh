#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make deb-check`: the packages from `make deb`, installed with dpkg into a clean Debian bookworm root made by
# debootstrap, where no Swift toolchain exists. There: the three binaries run; the installed daemon, started on
# a port of the test's own, answers minifltctl and a C client built with `pkg-config fltlib`; the installed
# minifltscan denies a foul file to the scanner-style C client (fltlib/tests/flt_scan.c) built there; man finds
# the pages; the units pass systemd-analyze verify where they are installed; the maintainer scripts enabled
# minifltd.socket (not the watching one nor minifltscan's), updated the journal catalog and ld.so.cache; an upgrade keeps a
# disabled socket disabled and an edited configuration; and `dpkg --purge` leaves the root as it was, file
# for file.
#
# The root is cached under .build/deb-check/ (the debootstrap download, then the finished root as a tar), so
# only the first run needs the mirror (DEB_CHECK_MIRROR). Stops the daemon it starts by pid, and unmounts
# the root's /proc.
set -euo pipefail
cd "$(dirname "$0")/../.."
mirror=${DEB_CHECK_MIRROR:-http://deb.debian.org/debian}
cache=.build/deb-check
# gcc, libc6-dev and pkg-config build the C client; systemd brings journalctl (the catalog) and the unit
# folders, as on a real machine; it does not run, so the postinst enables but starts nothing. man-db shows
# that `man minifltd` works once installed. The cache's name follows the list.
include=gcc,libc6-dev,pkg-config,systemd,man-db
key=$(echo "$include" | md5sum | cut -c 1-8)
download=$cache/bookworm-minbase-$key-download.tgz
image=$cache/bookworm-minbase-$key-root.tar
root=$(mktemp -d /var/tmp/minifltd-deb-check.XXXXXX)
daemon=""
cleanup() {
    if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
    mountpoint -q "$root/proc" && umount "$root/proc"
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
fail() {
    echo "deb-check: $*"
    exit 1
}
inside() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

started=$(date +%s)
mkdir -p "$cache"
if [ ! -s "$image" ]; then
    command -v debootstrap >/dev/null || fail "debootstrap is missing (make setup installs it)"
    [ -s "$download" ] || debootstrap --variant=minbase --include=$include --make-tarball="$PWD/$download" \
        bookworm "$root/bootstrap" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || fail "debootstrap could not download bookworm from $mirror (see $cache/debootstrap.log)"
    rm -rf "$root/bootstrap"
    debootstrap --variant=minbase --include=$include --unpack-tarball="$PWD/$download" bookworm "$root" "$mirror" \
        >>"$cache/debootstrap.log" 2>&1 || fail "debootstrap failed (see $cache/debootstrap.log)"
    tar -C "$root" -cf "$image.part" . && mv "$image.part" "$image"
else
    tar -C "$root" -xf "$image"
fi
# The root's / as on a machine: mktemp's 0700 (which the tar keeps) would shut out every other user in it.
chmod 0755 "$root"
echo "deb-check: a clean bookworm root in $(($(date +%s) - started)) s"

inside sh -c 'command -v swift || ls -d /usr/lib/swift /opt/swift' 2>/dev/null && fail "the root has a Swift toolchain"
snapshot() {
    (cd "$root" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./run -o -path ./var/lib/dpkg -o -path ./var/log \
        -o -path ./var/cache \) -prune -o -print | sort)
}
snapshot >"$root/tmp/before"

mkdir -p "$root/tmp/debs"
cp .build/deb/*.deb "$root/tmp/debs/"
# The packages' Depends are all in the root already: dpkg alone must install them.
inside sh -c 'dpkg -i /tmp/debs/*.deb' >"$root/tmp/dpkg-install.log" 2>&1 \
    || { cat "$root/tmp/dpkg-install.log"; fail "dpkg -i failed"; }
grep -qi "warning\|error" "$root/tmp/dpkg-install.log" && { cat "$root/tmp/dpkg-install.log"; fail "dpkg -i warned"; }
mount -t proc proc "$root/proc"

ldd=$(inside ldd /usr/sbin/minifltd /usr/bin/minifltctl /usr/sbin/minifltscan)
case "$ldd" in *"not found"* | *swift*) fail "the installed binaries need libraries the root lacks: $ldd" ;; esac
versions=$(inside sh -c '/usr/sbin/minifltd --version && minifltctl --version && /usr/sbin/minifltscan --version')
version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/MiniFltWire/ProductVersion.swift)
[ "$versions" = "$(printf '%s\n%s\n%s' "$version" "$version" "$version")" ] || fail "--version printed '$versions', not $version"
help=$(inside /usr/sbin/minifltscan --help) || fail "minifltscan --help failed"
[[ "$help" == *"--watch <watch>"* && "$help" == *"--pass-descriptors"* ]] || fail "minifltscan --help printed '$help'"

# The daemon reads the packaged /etc/minifltd/minifltd.conf (a conffile, all comments). chroot and env exec,
# so the pid is the daemon's (not through `inside`: a function in the background is a shell of its own).
# Abstract sockets are per network namespace: the host's, shared with the root.
port="\\MiniFltDebCheck_$$"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 /usr/sbin/minifltd --port "$port" \
    --log-target console >/dev/null 2>"$root/tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do grep -qs "listening on" "$root/tmp/daemon.log" && break; sleep 0.05; done
grep -q "listening on" "$root/tmp/daemon.log" || { cat "$root/tmp/daemon.log"; fail "the daemon did not start"; }
reply=$(inside minifltctl send --port "$port" 'Hello, MiniFilter')
[ "$reply" = "Hello, User" ] || fail "minifltctl send got '$reply'"

cp fltlib/tests/flt_send.c "$root/tmp/"
inside sh -c 'cc -Wall -Wextra -Werror -o /tmp/flt_send /tmp/flt_send.c $(pkg-config --cflags --libs fltlib)' \
    || fail "the C client does not build with pkg-config fltlib"
reply=$(inside /tmp/flt_send --port "$port" Hello)
case "$reply" in *"Hello, User"*) ;; *) fail "the C client against the packaged libfltlib got '$reply'" ;; esac
kill "$daemon"
status=0
wait "$daemon" || status=$?
[ $status = 0 ] || { cat "$root/tmp/daemon.log"; fail "the daemon exited $status after SIGTERM"; }
daemon=""

# The installed scanner, on a port of the test's own, watching a folder of the root (fanotify as root), and the
# scanner-style C client built there against the packaged libfltlib: a file that contains "foul" cannot be
# opened, a clean one can, and one written foul is denied after its close.
cp fltlib/tests/flt_scan.c "$root/tmp/"
inside sh -c 'cc -Wall -Wextra -Werror -o /tmp/flt_scan /tmp/flt_scan.c $(pkg-config --cflags --libs fltlib)' \
    || fail "the scanner-style C client does not build with pkg-config fltlib"
mkdir -p "$root/srv/scanned"
port="\\MiniFltDebCheckScan_$$"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 /usr/sbin/minifltscan --port "$port" \
    --watch /srv/scanned >/dev/null 2>"$root/tmp/scanner.log" &
daemon=$!
for _ in $(seq 100); do grep -qs "scanning opens of" "$root/tmp/scanner.log" && break; sleep 0.05; done
grep -q "scanning opens of" "$root/tmp/scanner.log" || { cat "$root/tmp/scanner.log"; fail "minifltscan did not start"; }
scan=$(inside /tmp/flt_scan --port "$port" /srv/scanned) \
    || { echo "$scan"; cat "$root/tmp/scanner.log"; fail "flt_scan against the installed minifltscan failed"; }
[[ "$scan" == *"0 failed" ]] || fail "flt_scan printed '$scan'"
kill "$daemon"
status=0
wait "$daemon" || status=$?
[ $status = 0 ] || { cat "$root/tmp/scanner.log"; fail "minifltscan exited $status after SIGTERM"; }
daemon=""
rm -rf "$root/srv/scanned"

# The units as packaged, where they are installed (--man=no: the root has no man).
verify=$(inside sh -c 'cd /lib/systemd/system && systemd-analyze verify --man=no minifltd.socket minifltd.service \
    minifltd-watch.socket minifltd-watch.service minifltscan.socket minifltscan.service 2>&1') \
    || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"

# What the maintainer scripts did.
[ "$(readlink "$root/etc/systemd/system/sockets.target.wants/minifltd.socket")" = /lib/systemd/system/minifltd.socket ] \
    || fail "the postinst did not enable minifltd.socket"
[ -e "$root/etc/systemd/system/sockets.target.wants/minifltd-watch.socket" ] \
    && fail "the postinst enabled minifltd-watch.socket, which needs its folders set first"
[ -e "$root/etc/systemd/system/sockets.target.wants/minifltscan.socket" ] \
    && fail "the postinst enabled minifltscan.socket, which needs its folders set first"
grep -qx 'ExecStart=/usr/sbin/minifltscan --port \\\\ScannerPort $MINIFLTSCAN_OPTIONS' \
    "$root/lib/systemd/system/minifltscan.service" || fail "minifltscan.service is not installed as expected"
grep -qx 'MINIFLTSCAN_OPTIONS=""' "$root/etc/default/minifltscan" || fail "/etc/default/minifltscan is not installed"
grep -qx /etc/default/minifltscan "$root/var/lib/dpkg/info/minifltd.conffiles" \
    || fail "/etc/default/minifltscan is not a conffile"
# (Outputs are read whole: grep -q stopping early would fail the pipe under pipefail.)
catalog=$(inside journalctl --list-catalog)
[[ "$catalog" == *"minifltd is starting"* ]] || fail "the catalog lacks minifltd's entries"
cache=$(inside ldconfig -p)
[[ "$cache" == *"libfltlib.so.1 "* ]] || fail "ld.so.cache lacks libfltlib.so.1 (the ldconfig trigger)"
for page in minifltd minifltctl minifltscan fltlib FilterSendMessage; do
    inside man -w "$page" >/dev/null 2>&1 || fail "man $page: no page once installed"
done
[[ "$(inside man minifltd 2>/dev/null)" == *"THE WATCHING SERVICE"* ]] || fail "man minifltd does not render"
[[ "$(inside man minifltscan 2>/dev/null)" == *"SCANNER_NOTIFICATION"* ]] || fail "man minifltscan does not render"

# An upgrade (here the same version again: the postinst configures with the old version given) keeps what
# the admin chose: a disabled socket stays disabled, and an edited configuration file stays as edited.
inside systemctl disable minifltd.socket >/dev/null 2>&1 || fail "systemctl disable minifltd.socket failed in the root"
echo "max-connections = 2" >>"$root/etc/minifltd/minifltd.conf"
inside sh -c 'dpkg -i /tmp/debs/*.deb' >"$root/tmp/dpkg-upgrade.log" 2>&1 \
    || { cat "$root/tmp/dpkg-upgrade.log"; fail "installing over the installed packages failed"; }
[ -e "$root/etc/systemd/system/sockets.target.wants/minifltd.socket" ] \
    && fail "an upgrade enabled minifltd.socket again after the admin disabled it"
[ "$(tail -n 1 "$root/etc/minifltd/minifltd.conf")" = "max-connections = 2" ] \
    || fail "an upgrade replaced the edited /etc/minifltd/minifltd.conf"
inside /usr/sbin/minifltd --check-config >/dev/null || fail "the edited configuration does not check"

# Removal keeps the configuration and masks the units; a purge leaves nothing.
inside dpkg -r libfltlib-dev libfltlib1 minifltd >/dev/null || fail "dpkg -r failed"
[ -e "$root/usr/sbin/minifltd" ] && fail "dpkg -r left /usr/sbin/minifltd"
[ -s "$root/etc/minifltd/minifltd.conf" ] || fail "dpkg -r removed the configuration (a purge's job)"
[ "$(readlink "$root/etc/systemd/system/minifltd.socket")" = /dev/null ] || fail "dpkg -r did not mask minifltd.socket"
[ "$(readlink "$root/etc/systemd/system/minifltscan.socket")" = /dev/null ] || fail "dpkg -r did not mask minifltscan.socket"
[[ "$(inside ldconfig -p)" == *libfltlib* ]] && fail "ld.so.cache still lists libfltlib after dpkg -r"
# The libraries have no configuration: dpkg -r removed them entirely.
inside dpkg --purge minifltd >/dev/null || fail "dpkg --purge failed"
known=$(inside dpkg-query -W -f '${Package} ${db:Status-Status}\n' minifltd libfltlib1 libfltlib-dev 2>/dev/null || true)
[ -z "$(echo "$known" | grep -v ' not-installed$' | grep .)" ] || fail "dpkg still knows after the purge: $known"
[[ "$(inside journalctl --list-catalog)" == *minifltd* ]] && fail "the catalog still has minifltd's entries"
umount "$root/proc"
left=$(snapshot | diff "$root/tmp/before" - || true)
[ -z "$left" ] || fail "after dpkg --purge the root differs: $left"
echo "deb-check: passed in $(($(date +%s) - started)) s (installed in bookworm without Swift; --version; minifltctl send" \
    "and a pkg-config C client against the installed daemon; flt_scan against the installed minifltscan; man pages; units verified; socket enabled, catalog, ldconfig; an upgrade keeps" \
    "the admin's choices; remove and purge clean)"
