# minifltd: build, test, run and install.
#
#   make            release build; binaries in .build/release/, libfltlib in .build/fltlib/
#   make test       set up (Debian packages) and run every test
#   make run        set up, build and run minifltd in the foreground (as root)
#   make install    install the binaries, libfltlib (fltUser.h, fltlib.pc), the systemd units and the journal
#                   catalog under $(DESTDIR)$(PREFIX)
#   make clean      remove build output

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(DESTDIR)$(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
DOCDIR ?= $(PREFIX)/share/doc/minifltd
SWIFT ?= swift
RUN_ARGS ?=

# Debian packages the build and the tests need beyond the Swift toolchain:
# libsystemd-dev (sd_notify, socket activation, the journal) and pkg-config to find it;
# systemd for systemd-socket-activate, systemd-analyze, journald and journalctl in the tests;
# util-linux for setpriv (tests run clients as other uids), python3 for the SIGKILL test's peer,
# iproute2 for ss in the README's demo; gcc and g++ for libfltlib and its C and C++ tests.
DEB_PACKAGES := libsystemd-dev pkg-config systemd util-linux python3 iproute2 gcc g++

.PHONY: all build setup test run install uninstall clean

all: build

build: fltlib
	$(SWIFT) build -c release

include fltlib/fltlib.mk

# Installs what a fresh Debian machine lacks; does nothing when it is all there.
setup:
	@missing=""; \
	for package in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain (swift.org) first"; exit 1; }

test: setup
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory fltlib-tests
	$(SWIFT) test

run: setup build
	./.build/release/minifltd $(RUN_ARGS)

install: build install-fltlib
	install -d $(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 .build/release/minifltd $(BINDIR)/minifltd
	install -m 0755 .build/release/minifltctl $(BINDIR)/minifltctl
	sed 's|@BINDIR@|$(PREFIX)/bin|' systemd/minifltd.service > $(DESTDIR)$(UNITDIR)/minifltd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/minifltd.service
	install -m 0644 systemd/minifltd.socket $(DESTDIR)$(UNITDIR)/minifltd.socket
	install -m 0644 systemd/minifltd.catalog $(DESTDIR)$(CATALOGDIR)/minifltd.catalog
	install -m 0644 README.md docs/protocol.md $(DESTDIR)$(DOCDIR)/
	@if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi

uninstall: uninstall-fltlib
	rm -f $(BINDIR)/minifltd $(BINDIR)/minifltctl $(DESTDIR)$(UNITDIR)/minifltd.service \
		$(DESTDIR)$(UNITDIR)/minifltd.socket $(DESTDIR)$(CATALOGDIR)/minifltd.catalog
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf .build
