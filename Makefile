# minifltd: build, test, run and install.
#
#   make            release build; binaries in .build/release/
#   make test       set up (Debian packages) and run every test
#   make run        set up, build and run minifltd in the foreground (as root)
#   make install    install the binaries under $(DESTDIR)$(PREFIX)
#   make clean      remove build output

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(DESTDIR)$(PREFIX)/bin
SWIFT ?= swift
RUN_ARGS ?=

# Debian packages the build and the tests need beyond the Swift toolchain:
# util-linux for setpriv (tests run clients as other uids), python3 for the SIGKILL test's peer,
# iproute2 for ss in the README's demo.
DEB_PACKAGES := util-linux python3 iproute2

.PHONY: all build setup test run install uninstall clean

all: build

build:
	$(SWIFT) build -c release

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
	$(SWIFT) test

run: setup build
	./.build/release/minifltd $(RUN_ARGS)

install: build
	install -d $(BINDIR)
	install -m 0755 .build/release/minifltd $(BINDIR)/minifltd
	install -m 0755 .build/release/minifltctl $(BINDIR)/minifltctl

uninstall:
	rm -f $(BINDIR)/minifltd $(BINDIR)/minifltctl

clean:
	rm -rf .build
