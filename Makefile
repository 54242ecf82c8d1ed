# SPDX-License-Identifier: MIT
# minifltd: build, test, run and install.
#
#   make            release build; binaries in .build/release/, libfltlib in .build/fltlib/
#   make test       set up (Debian packages) and run every test
#   make soak       the slow hostile-client runs (100,000 refused connects, ...), with fd and RSS figures
#   make fuzz       libFuzzer over the decoders and the SDDL parser (FUZZ_SECONDS=N per target; Fuzz/fuzz.mk)
#   make fuzz-smoke every fuzz target for 20 s, as CI runs it (.ci/run)
#   make fltlib-sanitize  libfltlib and its tests under AddressSanitizer and UBSan (fltlib/fltlib.mk)
#   make sanitize   the test suite under AddressSanitizer, then ThreadSanitizer
#   make bench      the benchmark table against a C epoll floor and D-Bus, and watched opens against a
#                   C fanotify floor (Benchmarks/)
#   make lowercase-table   regenerate the port-name lowercase table (Tools/generate-lowercase-table.swift)
#   make run        set up, build and run minifltd in the foreground (as root)
#   make deb        Debian packages in .build/deb/ (packaging/deb/build.sh); make deb-check installs them in a
#                   clean bookworm root made by debootstrap and uses them there (Tests/Package/deb-check.sh)
#   make install    install the binaries (minifltd, minifltctl, minifltscan), libfltlib (fltUser.h, fltlib.pc),
#                   the systemd units and the journal catalog under $(DESTDIR)$(PREFIX)
#   make format     format the Swift sources (swift-format, .swift-format); make format-check is what CI runs
#   make clean      remove build output

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
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
# man-db (with groff-base) renders the man pages, which make test checks.
DEB_PACKAGES := libsystemd-dev pkg-config systemd util-linux python3 iproute2 gcc g++ man-db

.PHONY: all build setup test soak sanitize run deb deb-check install install-completions install-man install-check uninstall man-check clean format format-check spdx-check lowercase-table lowercase-table-check lock-import-check

all: build

# Release binaries carry the Swift runtime (--static-swift-stdlib): they need only libc, libstdc++, libgcc_s
# and libsystemd, so they run where no Swift toolchain is installed. They bind every symbol at start (-z now),
# so that RELRO covers the GOT, as Debian's hardening flags ask, and have no RUNPATH ($ORIGIN would make
# ld.so look for libraries in /usr/sbin).
SWIFT_RELEASE := -c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
build: fltlib
	$(SWIFT) build $(SWIFT_RELEASE) --product minifltd
	$(SWIFT) build $(SWIFT_RELEASE) --product minifltctl
	$(SWIFT) build $(SWIFT_RELEASE) --product minifltscan

include fltlib/fltlib.mk
include Fuzz/fuzz.mk
include Benchmarks/bench.mk

# What `make deb` and `make deb-check` need besides: dpkg-dev (dpkg-shlibdeps, dpkg-gensymbols), debootstrap
# and lintian. Only those targets install them.
PACKAGING_PACKAGES := dpkg-dev debootstrap lintian

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

test: setup lowercase-table-check spdx-check man-check lock-import-check
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory fltlib-tests FLTLIB_WERROR=-Werror
	$(SWIFT) test

# The table port names fold with (docs/protocol.md section 1), written from the Swift toolchain's Unicode
# properties. `make test` regenerates it and fails when that differs from the committed file.
LOWERCASE_TABLE := Sources/CMiniFltLowercase/lowercase_table.c

lowercase-table: setup
	@mkdir -p .build
	$(SWIFT) Tools/generate-lowercase-table.swift > .build/lowercase_table.c
	mv .build/lowercase_table.c $(LOWERCASE_TABLE)

lowercase-table-check: setup
	@mkdir -p .build
	@$(SWIFT) Tools/generate-lowercase-table.swift > .build/lowercase_table.c
	@diff -u $(LOWERCASE_TABLE) .build/lowercase_table.c || \
		{ echo "$(LOWERCASE_TABLE) is not what its generator writes: fix Tools/generate-lowercase-table.swift"; \
		  echo "or run make lowercase-table"; exit 1; }
	@echo "lowercase table: $(LOWERCASE_TABLE) matches its generator"

# The slow hostile cases (Tests/IntegrationTests/SoakTests.swift): 100,000 refused connects and more.
soak: setup
	$(SWIFT) build --build-tests
	MINIFLT_SOAK=1 $(SWIFT) test --skip-build --filter SoakTests

# The whole test suite under AddressSanitizer, then ThreadSanitizer (the daemon and clients the integration
# tests start are the sanitized builds too). Slow; not part of `make test`. Leak checking is off: at exit it
# reports the Swift runtime's and XCTest's one-time allocations (and ArgumentParser's 369 bytes in the daemon),
# which would fail every exit status; the soak checks that memory stays flat instead. THREAD_SANITIZER makes
# StateLock a pthread mutex, which the sanitizer can see (Sources/MiniFltPosix/ConditionLock.swift).
sanitize: setup
	$(MAKE) --no-print-directory fltlib-tests FLTLIB_WERROR=-Werror
	@set -e; for sanitizer in address thread; do \
		echo "== swift test under --sanitize=$$sanitizer"; \
		defines=""; [ $$sanitizer = thread ] && defines="-Xswiftc -DTHREAD_SANITIZER"; \
		$(SWIFT) build --build-tests --scratch-path .build-$$sanitizer --sanitize=$$sanitizer $$defines; \
		MINIFLT_SANITIZER=$$sanitizer ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=0 \
			$(SWIFT) test --skip-build --scratch-path .build-$$sanitizer; \
	done

# Every source, build and unit file carries the licence's SPDX identifier in its first two lines (LICENSE).
spdx-check:
	@missing=$$(git ls-files '*.swift' '*.c' '*.h' '*.cpp' '*.mk' '*.py' '*.map' '*.in' '*.modulemap' \
		'*.sh' 'systemd/*' 'packaging/deb/minifltd.*' 'packaging/deb/*.triggers' 'packaging/deb/*.symbols' \
		'docs/*.example' Makefile .ci/run | while read -r file; do \
		head -n 2 "$$file" | grep -q 'SPDX-License-Identifier: MIT' || echo "$$file"; done); \
	if [ -n "$$missing" ]; then echo "no SPDX-License-Identifier line in:"; echo "$$missing"; exit 1; fi

# StateLock is Synchronization's Mutex, except in `make sanitize`'s ThreadSanitizer build, where it is MiniFltPosix's
# ConditionLock: a test file that locks one without importing MiniFltPosix builds everywhere but there. CI does not
# run that build, so `make test` looks for such files.
lock-import-check:
	@missing=$$(git ls-files 'Tests/*.swift' | xargs grep -l 'withLock' | while read -r file; do \
		grep -q '^import MiniFltPosix$$' "$$file" || echo "$$file"; done); \
	if [ -n "$$missing" ]; then echo "these tests lock a StateLock without 'import MiniFltPosix' (the ThreadSanitizer build needs it):"; \
		echo "$$missing"; exit 1; fi

# swift-format with swift-nio's configuration (.swift-format: 4 spaces, 120 columns); CI runs format-check.
SWIFT_FORMAT_PATHS := Sources Tests Fuzz Tools Package.swift
format:
	$(SWIFT) format --in-place --recursive --parallel $(SWIFT_FORMAT_PATHS)

format-check:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_FORMAT_PATHS)

run: setup build
	./.build/release/minifltd $(RUN_ARGS)

# fltlib(3) documents every call; each call's page is a link to it.
FLTLIB_MAN_LINKS := FilterConnectCommunicationPort FilterSendMessage FilterGetMessage FilterReplyMessage FilterClose \
	FilterGetPollDescriptor FilterTryGetMessage FilterWidePathToBytes FilterGetLastErrorText \
	FilterSendMessageOverlapped GetOverlappedResult CancelIo CancelIoEx CreateIoCompletionPort \
	GetQueuedCompletionStatus PostQueuedCompletionStatus CreateEvent SetEvent ResetEvent WaitForSingleObject \
	WaitForMultipleObjects CloseHandle GetLastError SetLastError CreateThread ResumeThread ExitThread \
	GetCurrentThreadId Sleep FilterLoad FilterUnload FilterCreate FilterGetInformation FilterFindFirst FilterFindNext \
	FilterFindClose FilterVolumeFindFirst FilterVolumeFindNext FilterVolumeFindClose FilterVolumeInstanceFindFirst \
	FilterVolumeInstanceFindNext FilterVolumeInstanceFindClose FilterInstanceFindFirst FilterInstanceFindNext \
	FilterInstanceFindClose FilterInstanceCreate FilterInstanceClose FilterInstanceGetInformation FilterAttach \
	FilterAttachAtAltitude FilterDetach FilterGetDosName InitializeCriticalSection EnterCriticalSection \
	LeaveCriticalSection DeleteCriticalSection GetProcessHeap HeapAlloc HeapFree ExitProcess CreateSemaphore \
	ReleaseSemaphore FileTimeToSystemTime FileTimeToLocalFileTime MultiByteToWideChar FormatMessage LoadLibraryExW \
	FreeLibrary VirtualQuery MapViewOfFile \
	FilterSendMessageWithDescriptors FilterReplyMessageWithDescriptors FilterGetMessageDescriptors

install: build install-fltlib install-man install-completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 .build/release/minifltd $(DESTDIR)$(SBINDIR)/minifltd
	install -m 0755 .build/release/minifltctl $(DESTDIR)$(BINDIR)/minifltctl
	install -m 0755 .build/release/minifltscan $(DESTDIR)$(SBINDIR)/minifltscan
	sed 's|@SBINDIR@|$(SBINDIR)|' systemd/minifltd.service > $(DESTDIR)$(UNITDIR)/minifltd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/minifltd.service
	install -m 0644 systemd/minifltd.socket $(DESTDIR)$(UNITDIR)/minifltd.socket
	sed -f systemd/template.sed systemd/minifltd.socket > $(DESTDIR)$(UNITDIR)/minifltd@.socket
	sed -f systemd/template.sed systemd/minifltd.service | sed 's|@SBINDIR@|$(SBINDIR)|' \
		> $(DESTDIR)$(UNITDIR)/minifltd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/minifltd@.socket $(DESTDIR)$(UNITDIR)/minifltd@.service
	sed 's|@SBINDIR@|$(SBINDIR)|' systemd/minifltd-watch.service > $(DESTDIR)$(UNITDIR)/minifltd-watch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/minifltd-watch.service
	install -m 0644 systemd/minifltd-watch.socket $(DESTDIR)$(UNITDIR)/minifltd-watch.socket
	sed 's|@SBINDIR@|$(SBINDIR)|' systemd/minifltscan.service > $(DESTDIR)$(UNITDIR)/minifltscan.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/minifltscan.service
	install -m 0644 systemd/minifltscan.socket $(DESTDIR)$(UNITDIR)/minifltscan.socket
	install -m 0644 systemd/minifltd.catalog $(DESTDIR)$(CATALOGDIR)/minifltd.catalog
	install -m 0644 README.md docs/protocol.md docs/minifltd.conf.example docs/minifltd-watch.conf.example \
		docs/minifltscan.default.example LICENSE $(DESTDIR)$(DOCDIR)/
	@if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi

# Shell completions, written by the binaries themselves (swift-argument-parser).
install-completions: build
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	for tool in minifltd minifltctl minifltscan; do \
		.build/release/$$tool --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/$$tool; \
		.build/release/$$tool --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_$$tool; \
		.build/release/$$tool --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/$$tool.fish; \
		chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/$$tool $(DESTDIR)$(ZSHCOMPDIR)/_$$tool $(DESTDIR)$(FISHCOMPDIR)/$$tool.fish; \
	done

install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/minifltctl.1 $(DESTDIR)$(MANDIR)/man1/minifltctl.1
	install -m 0644 man/fltlib.3 $(DESTDIR)$(MANDIR)/man3/fltlib.3
	install -m 0644 man/minifltd.8 $(DESTDIR)$(MANDIR)/man8/minifltd.8
	install -m 0644 man/minifltscan.8 $(DESTDIR)$(MANDIR)/man8/minifltscan.8
	for call in $(FLTLIB_MAN_LINKS); do ln -sf fltlib.3 $(DESTDIR)$(MANDIR)/man3/$$call.3; done

uninstall: uninstall-fltlib
	rm -f $(DESTDIR)$(SBINDIR)/minifltd $(DESTDIR)$(BINDIR)/minifltctl $(DESTDIR)$(SBINDIR)/minifltscan \
		$(DESTDIR)$(UNITDIR)/minifltd.service \
		$(DESTDIR)$(UNITDIR)/minifltd.socket $(DESTDIR)$(UNITDIR)/minifltd@.socket \
		$(DESTDIR)$(UNITDIR)/minifltd@.service $(DESTDIR)$(UNITDIR)/minifltd-watch.service \
		$(DESTDIR)$(UNITDIR)/minifltd-watch.socket $(DESTDIR)$(UNITDIR)/minifltscan.service \
		$(DESTDIR)$(UNITDIR)/minifltscan.socket $(DESTDIR)$(CATALOGDIR)/minifltd.catalog \
		$(DESTDIR)$(MANDIR)/man1/minifltctl.1 $(DESTDIR)$(MANDIR)/man3/fltlib.3 $(DESTDIR)$(MANDIR)/man8/minifltd.8 \
		$(DESTDIR)$(MANDIR)/man8/minifltscan.8 \
		$(foreach call,$(FLTLIB_MAN_LINKS),$(DESTDIR)$(MANDIR)/man3/$(call).3) \
		$(foreach tool,minifltd minifltctl minifltscan,$(DESTDIR)$(BASHCOMPDIR)/$(tool) $(DESTDIR)$(ZSHCOMPDIR)/_$(tool) \
			$(DESTDIR)$(FISHCOMPDIR)/$(tool).fish)
	rm -rf $(DESTDIR)$(DOCDIR)

# Debian packages (minifltd, libfltlib1, libfltlib-dev) in .build/deb/, made with dpkg-deb from `make install`
# (packaging/deb/build.sh); a lintian error or warning fails it (LINTIAN=0 skips lintian).
deb:
	@$(MAKE) --no-print-directory setup DEB_PACKAGES="$(DEB_PACKAGES) $(PACKAGING_PACKAGES)"
	@$(MAKE) --no-print-directory build
	packaging/deb/build.sh

# The packages installed with dpkg into a clean bookworm root (debootstrap, cached in .build/deb-check/) that has
# no Swift toolchain, then used, removed and purged there (Tests/Package/deb-check.sh).
deb-check: deb
	Tests/Package/deb-check.sh

# The installed tree works where no Swift toolchain is (Tests/Install/check-install.sh).
install-check: setup
	Tests/Install/check-install.sh

# The man pages render without a warning, and every call's page is found once installed.
man-check: setup
	@set -e; for page in man/*.[0-9]; do \
		warnings=$$(LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z $$page 2>&1 >/dev/null); \
		if [ -n "$$warnings" ]; then echo "$$page:"; echo "$$warnings"; exit 1; fi; \
	done; \
	stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	$(MAKE) --no-print-directory -s install-man DESTDIR=$$stage PREFIX=/usr; \
	for call in minifltd minifltctl minifltscan $(FLTLIB_MAN_LINKS); do \
		man -M $$stage/usr/share/man -w $$call >/dev/null || { echo "man $$call: no page once installed"; exit 1; }; \
	done; echo "man pages: no warnings; every page found once installed"

clean:
	rm -rf .build .build-fuzz .build-address .build-thread fuzz-artifacts
