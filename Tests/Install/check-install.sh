#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make install-check`: installs into a staging root as a packager would (PREFIX=/usr, DESTDIR), then, with the
# Swift toolchain and the build folder hidden (a private mount namespace with tmpfs over both), runs the
# installed minifltd and minifltctl against each other, and builds and runs a C client against the installed
# libfltlib through pkg-config. Stops what it starts, by pid.
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=$(mktemp -d /var/tmp/minifltd-install-check.XXXXXX)
daemon=""
cleanup() {
    if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
    rm -rf "$stage"
}
trap cleanup EXIT

make --no-print-directory -s install DESTDIR="$stage" PREFIX=/usr >/dev/null
multiarch=$(cc -print-multiarch)
port="\\MiniFltInstallCheck_$$"
swift_root=$(dirname "$(dirname "$(dirname "$(command -v swift)")")")

# Everything below runs where neither the toolchain nor the build output can be found.
hidden() {
    unshare --mount --propagation private bash -c \
        "mount -t tmpfs none '$swift_root' && mount -t tmpfs none '$PWD/.build' && $1"
}

versions=$(hidden "'$stage/usr/sbin/minifltd' --version && '$stage/usr/bin/minifltctl' --version \
    && '$stage/usr/sbin/minifltscan' --version" || true)
version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/MiniFltWire/ProductVersion.swift)
[ "$versions" = "$(printf '%s\n%s\n%s' "$version" "$version" "$version")" ] \
    || { echo "install-check: the installed binaries do not run without the toolchain: $versions"; exit 1; }

# unshare and bash exec in turn, so the pid is the daemon's.
unshare --mount --propagation private bash -c "mount -t tmpfs none '$swift_root' && mount -t tmpfs none '$PWD/.build' \
    && exec '$stage/usr/sbin/minifltd' --port '$port' --log-target console" >/dev/null 2>"$stage/daemon.log" &
daemon=$!
for _ in $(seq 100); do grep -q "listening on" "$stage/daemon.log" && break; sleep 0.05; done
reply=$(hidden "'$stage/usr/bin/minifltctl' send --port '$port' 'Hello, MiniFilter'")
[ "$reply" = "Hello, User" ] || { echo "install-check: minifltctl got '$reply'"; cat "$stage/daemon.log"; exit 1; }

export PKG_CONFIG_PATH="$stage/usr/lib/$multiarch/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
cc -o "$stage/flt_send" fltlib/tests/flt_send.c $(pkg-config --cflags --libs fltlib)
reply=$(LD_LIBRARY_PATH="$stage/usr/lib/$multiarch" "$stage/flt_send" --port "$port" "Hello")
case "$reply" in
*"Hello, User"*) ;;
*) echo "install-check: the C client against the installed libfltlib got '$reply'"; exit 1 ;;
esac
[ -L "$stage/usr/share/man/man3/FilterSendMessage.3" ] || { echo "install-check: no FilterSendMessage(3) link"; exit 1; }
# The headers Windows programs include (windows.h, fltuser.h, winioctl.h, ...) and the kernel32 calls.
# The management calls that fail (FLTLIB_1.3) and the calls avscan and minispy make, with strsafe.h and
# DriverSpecs.h.
for program in win32_calls filter_management win32_runtime; do
    cc -o "$stage/$program" fltlib/tests/$program.c $(pkg-config --cflags --libs fltlib)
    LD_LIBRARY_PATH="$stage/usr/lib/$multiarch" "$stage/$program" >"$stage/$program.log" \
        || { echo "install-check: $program against the installed libfltlib failed"; cat "$stage/$program.log"; exit 1; }
done
[ -L "$stage/usr/share/man/man3/FilterVolumeFindFirst.3" ] || { echo "install-check: no FilterVolumeFindFirst(3) link"; exit 1; }

# The bash completion loads and completes minifltctl's subcommands.
completions=$(bash -c "source '$stage/usr/share/bash-completion/completions/minifltctl' \
    && COMP_WORDS=(minifltctl s) COMP_CWORD=1 COMP_LINE='minifltctl s' COMP_POINT=12 \
    && _minifltctl 2>/dev/null; echo \"\${COMPREPLY[*]}\"")
case "$completions" in
*send*) ;;
*) echo "install-check: the bash completion of 'minifltctl s' gave '$completions'"; exit 1 ;;
esac
[ -s "$stage/usr/share/zsh/vendor-completions/_minifltd" ] && [ -s "$stage/usr/share/fish/vendor_completions.d/minifltd.fish" ] \
    || { echo "install-check: zsh or fish completions missing"; exit 1; }
# The watching service runs the installed daemon with its own configuration file.
grep -qx 'ExecStart=/usr/sbin/minifltd --config /etc/minifltd/minifltd-watch.conf --log-target journal --port \\\\MiniFltWatch' \
    "$stage/usr/lib/systemd/system/minifltd-watch.service" && [ -s "$stage/usr/lib/systemd/system/minifltd-watch.socket" ] \
    || { echo "install-check: minifltd-watch.service or .socket missing or not pointing at /usr/sbin/minifltd"; exit 1; }
# The scanner: it runs without the toolchain, and its service runs the installed binary with the options of
# /etc/default/minifltscan, on the port its socket listens on; its page is installed.
help=$(hidden "'$stage/usr/sbin/minifltscan' --help" || true)
case "$help" in
*"--watch <watch>"*) ;;
*) echo "install-check: the installed minifltscan --help printed '$help'"; exit 1 ;;
esac
grep -qx 'ExecStart=/usr/sbin/minifltscan --port \\\\ScannerPort $MINIFLTSCAN_OPTIONS' \
    "$stage/usr/lib/systemd/system/minifltscan.service" \
    && grep -qx 'EnvironmentFile=/etc/default/minifltscan' "$stage/usr/lib/systemd/system/minifltscan.service" \
    && grep -qx 'ListenStream=@\\scannerport' "$stage/usr/lib/systemd/system/minifltscan.socket" \
    || { echo "install-check: minifltscan.service or .socket missing or not pointing at /usr/sbin/minifltscan"; exit 1; }
[ -s "$stage/usr/share/man/man8/minifltscan.8" ] && [ -s "$stage/usr/share/doc/minifltd/minifltscan.default.example" ] \
    || { echo "install-check: minifltscan(8) or minifltscan.default.example not installed"; exit 1; }
# The installed daemon ends with status 0 on SIGTERM, as when systemd stops it.
kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
daemon=""
[ "$status" = 0 ] || { echo "install-check: the installed daemon exited with $status on SIGTERM"; cat "$stage/daemon.log"; exit 1; }
echo "install-check: 4 passed, 0 failed (binaries without the toolchain, the daemon stopping with status 0; a C client through" \
    "pkg-config; completions; the scanner's binary, units and page)"
