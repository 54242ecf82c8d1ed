#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make deb`: minifltd, libfltlib1 and libfltlib-dev as .deb files in .build/deb/, built from the tree with
# dpkg-deb and hand-written control files (README, "Debian packages", says why not dpkg-buildpackage).
# Each package's tree comes from `make install DESTDIR=... PREFIX=/usr`, split by package; Depends come from
# dpkg-shlibdeps, libfltlib1's symbols file is checked against the library by dpkg-gensymbols, and an error or
# warning from lintian fails the build (LINTIAN=0 skips lintian).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=packaging/deb
out=.build/deb
work=$out/work
# The packages' trees, where dpkg-shlibdeps and dpkg-gensymbols expect them (debian/PACKAGE).
tree=$work/debian
version="$(sed -n 's/^minifltd (\([^)]*\)).*/\1/p;q' $here/changelog)"
upstream="${version%-*}"
product=$(sed -n 's/.*static let string = "\(.*\)"/\1/p' Sources/MiniFltWire/ProductVersion.swift)
[ "$upstream" = "$product" ] \
    || { echo "deb: $here/changelog says $upstream, ProductVersion.swift $product: add a changelog entry"; exit 1; }
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
maintainer="$(sed -n 's/^ -- \(.*>\)  .*/\1/p' $here/changelog | head -n 1)"
date="$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' $here/changelog | head -n 1)"
# Reproducible: every file's time is the changelog entry's.
export SOURCE_DATE_EPOCH=$(date -d "$date" +%s)

rm -rf "$out"
mkdir -p "$work/stage" "$work/debian"
# Debian's build flags (hardening, -O2, -g) for libfltlib; the Swift binaries are release builds already.
eval "$(dpkg-buildflags --export=sh)"
# libfltlib is compiled afresh with them, in a folder of its own.
make --no-print-directory -s install DESTDIR="$PWD/$work/stage" PREFIX=/usr LIBDIR=/usr/lib/$multiarch \
    UNITDIR=/lib/systemd/system CATALOGDIR=/usr/lib/systemd/catalog FLTLIB_BUILD=$out/fltlib >/dev/null
stage=$work/stage

# Moves PATH (relative to the stage, globs allowed) into PACKAGE's tree.
take() {
    local package=$1 path
    shift
    for path in "$@"; do
        for file in $stage/$path; do
            [ -e "$file" ] || [ -L "$file" ] || { echo "deb: $path is not in the staged install"; exit 1; }
            local relative=${file#$stage/}
            mkdir -p "$tree/$package/$(dirname "$relative")"
            mv "$file" "$tree/$package/$relative"
        done
    done
}

take libfltlib1 "usr/lib/$multiarch/libfltlib.so.*"
take libfltlib-dev "usr/lib/$multiarch/libfltlib.so" "usr/lib/$multiarch/pkgconfig" usr/include usr/share/man/man3
take minifltd usr/sbin usr/bin lib/systemd usr/lib/systemd usr/share/man/man1 usr/share/man/man8 \
    usr/share/bash-completion usr/share/zsh usr/share/fish
# The examples become the configuration files (conffiles); the rest of the doc folder is README and protocol.
mkdir -p "$tree/minifltd/etc/minifltd"
mv "$stage/usr/share/doc/minifltd/minifltd.conf.example" "$tree/minifltd/etc/minifltd/minifltd.conf"
mv "$stage/usr/share/doc/minifltd/minifltd-watch.conf.example" "$tree/minifltd/etc/minifltd/minifltd-watch.conf"
# minifltscan.service's EnvironmentFile=, where Debian keeps a service's options.
mkdir -p "$tree/minifltd/etc/default"
mv "$stage/usr/share/doc/minifltd/minifltscan.default.example" "$tree/minifltd/etc/default/minifltscan"
take minifltd usr/share/doc/minifltd/README.md usr/share/doc/minifltd/protocol.md
rm "$stage/usr/share/doc/minifltd/LICENSE"
left=$(cd "$stage" && find . ! -type d)
[ -z "$left" ] || { echo "deb: make install installs files no package takes:"; echo "$left"; exit 1; }

# What every package carries: the copyright file (DEP-5) and the changelog, compressed as Debian does.
for package in minifltd libfltlib1 libfltlib-dev; do
    doc=$tree/$package/usr/share/doc/$package
    mkdir -p "$doc"
    {
        echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
        echo "Upstream-Name: minifltd"
        echo
        echo "Files: *"
        echo "Copyright: $(sed -n 's/^Copyright (c) //p' LICENSE | head -n 1)"
        echo "License: Expat"
        sed -e '/^MIT License/d' -e '/^Copyright/d' -e 's/^$/./' -e 's/^/ /' LICENSE | awk 'text || $0 != " ." { text = 1; print }'
    } >"$doc/copyright"
    gzip -9n <$here/changelog >"$doc/changelog.Debian.gz"
done
# As dh_strip and dh_fixperms would (no -dbgsym packages: the build folder keeps the unstripped files).
strip --remove-section=.comment --remove-section=.note "$tree/minifltd/usr/sbin/minifltd" \
    "$tree/minifltd/usr/bin/minifltctl" "$tree/minifltd/usr/sbin/minifltscan"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$tree"/libfltlib1/usr/lib/*/libfltlib.so.*.*
chmod 0644 "$tree"/libfltlib1/usr/lib/*/libfltlib.so.*.*
# A completion is sourced, not run: no #! line.
sed -i '1{/^#!/d}' "$tree"/minifltd/usr/share/bash-completion/completions/*
find "$tree"/*/usr/share/man -type f -exec gzip -9n {} +
find "$tree"/*/usr/share/man -type l | while read -r link; do
    ln -s "$(readlink "$link").gz" "$link.gz" && rm "$link"
done
mkdir -p "$tree/minifltd/usr/share/lintian/overrides"
# Misspellings lintian finds in the binaries are in the statically linked Swift runtime and Foundation.
{
    echo "# In the statically linked Swift runtime and Foundation, not in minifltd's own strings."
    echo "minifltd: spelling-error-in-binary"
} >>"$tree/minifltd/usr/share/lintian/overrides/minifltd"
gzip -9n "$tree/minifltd/usr/share/doc/minifltd/README.md" "$tree/minifltd/usr/share/doc/minifltd/protocol.md"

# dpkg-shlibdeps and dpkg-gensymbols read debian/control: one that names the packages is enough. They find a
# package's root by its DEBIAN folder.
for package in minifltd libfltlib1 libfltlib-dev; do mkdir -p "$tree/$package/DEBIAN"; done
cat >"$work/debian/control" <<CONTROL
Source: minifltd

Package: minifltd
Architecture: any

Package: libfltlib1
Architecture: any

Package: libfltlib-dev
Architecture: any
CONTROL
cp $here/changelog "$work/debian/changelog"

# libfltlib1: its shlibs and symbols files; a symbol added or lost fails the build until the committed
# symbols file says so (dpkg-gensymbols -c4).
mkdir -p "$tree/libfltlib1/DEBIAN"
echo "libfltlib 1 libfltlib1 (>= $upstream)" >"$tree/libfltlib1/DEBIAN/shlibs"
(cd "$work" && dpkg-gensymbols -plibfltlib1 -Pdebian/libfltlib1 -v"$version" -c4 -I"$OLDPWD/$here/libfltlib1.symbols" \
    -e"debian/libfltlib1/usr/lib/$multiarch/libfltlib.so.1" -O"debian/libfltlib1/DEBIAN/symbols") \
    || { echo "deb: libfltlib's symbols differ from $here/libfltlib1.symbols (diff above)"; exit 1; }
cp $here/libfltlib1.triggers "$tree/libfltlib1/DEBIAN/triggers"
sed -i '/^#/d' "$tree/libfltlib1/DEBIAN/triggers"

# Depends of the binaries, from the shlibs and symbols files of the libraries they link.
depends() {
    (cd "$work" && dpkg-shlibdeps -O -e"$@") | sed -n 's/^shlibs:Depends=//p'
}
minifltd_depends=$(depends debian/minifltd/usr/sbin/minifltd -edebian/minifltd/usr/bin/minifltctl \
    -edebian/minifltd/usr/sbin/minifltscan)
libfltlib_depends=$(depends "debian/libfltlib1/usr/lib/$multiarch/libfltlib.so.1")

size() { du -k -s --apparent-size "$tree/$1" | cut -f 1; }
description_minifltd="Windows filter communication ports on Linux (daemon and minifltctl)
 minifltd brings the minifilter communication-port model
 (FltCreateCommunicationPort, FilterConnectCommunicationPort, FilterSendMessage,
 FilterGetMessage and FilterReplyMessage) to Linux, on abstract Unix sockets
 with a permission descriptor checked against peer credentials.
 .
 This package holds the daemon, minifltctl, minifltscan (Microsoft's scanner
 minifilter sample ported: a client on \\ScannerPort scans files before they
 open), the socket-activated systemd units (minifltd.socket is enabled;
 minifltd@.socket serves further ports; minifltd-watch.socket and
 minifltscan.socket, left disabled, gate opens of watched folders once
 configured), the journal catalog, man pages and shell completions."
library_description=" libfltlib implements the user-mode half of the Windows minifilter
 communication-port API (FilterConnectCommunicationPort, FilterSendMessage,
 FilterGetMessage, FilterReplyMessage) against ports that minifltd serves."
description_libfltlib1="fltlib's communication-port API (fltUser.h) for minifltd ports
$library_description
 .
 This package holds the shared library."
description_libfltlib_dev="fltlib's communication-port API for minifltd ports (development)
$library_description
 .
 This package holds the headers, the pkg-config file (fltlib) and the section 3
 manual pages."

control() {
    local package=$1 section=$2 multi=$3 depends=$4 description=$5
    mkdir -p "$tree/$package/DEBIAN"
    {
        echo "Package: $package"
        echo "Source: minifltd"
        echo "Version: $version"
        echo "Architecture: $arch"
        [ -n "$multi" ] && echo "Multi-Arch: $multi"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $(size "$package")"
        echo "Depends: $depends"
        echo "Section: $section"
        echo "Priority: optional"
        echo "Description: $description"
    } >"$tree/$package/DEBIAN/control"
}
control minifltd admin "" "$minifltd_depends" "$description_minifltd"
control libfltlib1 libs same "$libfltlib_depends" "$description_libfltlib1"
control libfltlib-dev libdevel same "libfltlib1 (= $version)" "$description_libfltlib_dev"

(cd "$tree/minifltd" && find etc -type f | sed 's|^|/|' | sort) >"$tree/minifltd/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$here/minifltd.$script" "$tree/minifltd/DEBIAN/$script"; done
for package in minifltd libfltlib1 libfltlib-dev; do
    (cd "$tree/$package" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
        | xargs -0 -r md5sum >DEBIAN/md5sums)
    find "$tree/$package" -path "$tree/$package/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
    find "$tree/$package" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    dpkg-deb --root-owner-group -Zxz --build "$tree/$package" "$out/${package}_${version}_${arch}.deb" >/dev/null
done
ls -1 "$out"/*.deb
# Errors and warnings fail the build; the info-level findings are printed (README, "Debian packages").
if [ "${LINTIAN:-1}" = 1 ]; then
    lintian --fail-on error,warning --display-info "$out"/*.deb 2>&1 | grep -v '^running with root privileges' \
        || [ "${PIPESTATUS[0]}" = 0 ] || { echo "deb: lintian found errors or warnings (above)"; exit 1; }
fi
