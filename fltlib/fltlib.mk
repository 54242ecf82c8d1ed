# SPDX-License-Identifier: MIT
# libfltlib: fltlib's API in C (fltUser.h). Included by the top-level Makefile.
#
#   make fltlib          build .build/fltlib/libfltlib.so.$(FLTLIB_VERSION)
#   make install         also installs the library, its headers (under include/fltlib) and fltlib.pc
#   make fltlib-tests    install into a staging prefix, build the C and C++ test programs against it with
#                        pkg-config, run the wire-vector and sleeper-queue tests and replay the fuzz inputs
#                        (fuzz_client.c); the integration tests run the programs (port_name_foldings too)
#   make fltlib-sanitize the same, library and programs built with AddressSanitizer and UndefinedBehaviorSanitizer
#                        in .build/fltlib-sanitize, then the integration tests that run the programs

FLTLIB_VERSION := 1.4.1
FLTLIB_SONAME := libfltlib.so.1
FLTLIB_BUILD := .build/fltlib
FLTLIB_LIB := $(FLTLIB_BUILD)/libfltlib.so.$(FLTLIB_VERSION)
# Port names fold with the lowercase table the Swift libraries use (docs/protocol.md section 1): one file, compiled
# into both.
FLTLIB_LOWERCASE := Sources/CMiniFltLowercase
FLTLIB_LOWERCASE_SOURCES := $(wildcard $(FLTLIB_LOWERCASE)/*.c)
FLTLIB_SOURCES := $(wildcard fltlib/src/*.c) $(FLTLIB_LOWERCASE_SOURCES)
FLTLIB_OBJECTS := $(patsubst %.c,$(FLTLIB_BUILD)/obj/%.o,$(notdir $(FLTLIB_SOURCES)))
FLTLIB_LOWERCASE_HEADERS := $(wildcard $(FLTLIB_LOWERCASE)/*.h $(FLTLIB_LOWERCASE)/include/*.h)
# What a program built from the library's sources, rather than against the installed library, includes.
FLTLIB_INTERNAL_INCLUDES := -Ifltlib/include -Ifltlib/src -I$(FLTLIB_LOWERCASE)/include
FLTLIB_HEADERS := fltlib/include/fltUser.h fltlib/include/fltUserStructures.h fltlib/include/fltWinTypes.h fltlib/include/fltWinBase.h \
	fltlib/include/fltSal.h fltlib/include/fltuser.h fltlib/include/windows.h fltlib/include/Windows.h \
	fltlib/include/winioctl.h fltlib/include/crtdbg.h fltlib/include/dontuse.h fltlib/include/strsafe.h \
	fltlib/include/Strsafe.h fltlib/include/DriverSpecs.h fltlib/include/excpt.h

CC ?= cc
CXX ?= c++
# Sanitizer flags for the library and every test program; empty but for fltlib-sanitize.
FLTLIB_SANITIZE ?=
FLTLIB_WARNINGS := -Wall -Wextra -Wshadow -Wno-unused-parameter
# -Werror is for development (make test and CI set it); a packager's build only warns. CPPFLAGS, CFLAGS and
# LDFLAGS, as dpkg-buildflags gives them, come last, so they win.
FLTLIB_WERROR ?=
FLTLIB_CFLAGS := -std=c11 -O2 -g -fPIC -fvisibility=hidden -pthread $(FLTLIB_WARNINGS) $(FLTLIB_WERROR) \
	-Wstrict-prototypes -Ifltlib/include -I$(FLTLIB_LOWERCASE)/include $(FLTLIB_SANITIZE) $(CPPFLAGS) $(CFLAGS)
FLTLIB_LDFLAGS := $(FLTLIB_SANITIZE) $(LDFLAGS) -shared -pthread -Wl,-soname,$(FLTLIB_SONAME) \
	-Wl,--version-script=fltlib/libfltlib.map -Wl,-z,defs -Wl,-z,relro -Wl,-z,now

# Debian's multiarch folder (lib/x86_64-linux-gnu), where ld.so and pkg-config look under /usr and /usr/local.
FLTLIB_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib$(if $(FLTLIB_MULTIARCH),/$(FLTLIB_MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include

# The test programs are built against a staged install, through pkg-config, as a user's would be.
FLTLIB_STAGE := $(CURDIR)/.build/fltlib-stage
FLTLIB_TEST_BIN := .build/fltlib-tests
FLTLIB_PKG := PKG_CONFIG_PATH=$(FLTLIB_STAGE)/lib/pkgconfig pkg-config
FLTLIB_TEST_PROGRAMS := $(FLTLIB_TEST_BIN)/flt_send $(FLTLIB_TEST_BIN)/flt_threads $(FLTLIB_TEST_BIN)/flt_api \
	$(FLTLIB_TEST_BIN)/flt_listen $(FLTLIB_TEST_BIN)/seed_client $(FLTLIB_TEST_BIN)/flt_overlapped \
	$(FLTLIB_TEST_BIN)/win32_calls $(FLTLIB_TEST_BIN)/filter_management $(FLTLIB_TEST_BIN)/win32_runtime
FLTLIB_TEST_CFLAGS := -std=c11 -O2 -g -pthread $(FLTLIB_WARNINGS) -Werror $(FLTLIB_SANITIZE)

.PHONY: fltlib install-fltlib uninstall-fltlib fltlib-tests fltlib-sanitize

fltlib: $(FLTLIB_LIB)

$(FLTLIB_BUILD)/obj/%.o: fltlib/src/%.c fltlib/src/*.h $(FLTLIB_HEADERS) $(FLTLIB_LOWERCASE_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(FLTLIB_CFLAGS) -c -o $@ $<

$(FLTLIB_BUILD)/obj/%.o: $(FLTLIB_LOWERCASE)/%.c $(FLTLIB_LOWERCASE_HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(FLTLIB_CFLAGS) -c -o $@ $<

$(FLTLIB_LIB): $(FLTLIB_OBJECTS) fltlib/libfltlib.map
	$(CC) $(FLTLIB_LDFLAGS) -o $@ $(FLTLIB_OBJECTS)
	ln -sf libfltlib.so.$(FLTLIB_VERSION) $(FLTLIB_BUILD)/$(FLTLIB_SONAME)
	ln -sf $(FLTLIB_SONAME) $(FLTLIB_BUILD)/libfltlib.so

install-fltlib: $(FLTLIB_LIB)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/fltlib
	install -m 0755 $(FLTLIB_LIB) $(DESTDIR)$(LIBDIR)/libfltlib.so.$(FLTLIB_VERSION)
	ln -sf libfltlib.so.$(FLTLIB_VERSION) $(DESTDIR)$(LIBDIR)/$(FLTLIB_SONAME)
	ln -sf $(FLTLIB_SONAME) $(DESTDIR)$(LIBDIR)/libfltlib.so
	install -m 0644 $(FLTLIB_HEADERS) $(DESTDIR)$(INCLUDEDIR)/fltlib/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(FLTLIB_VERSION)|' \
		fltlib/fltlib.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/fltlib.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/fltlib.pc
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall-fltlib:
	rm -f $(DESTDIR)$(LIBDIR)/libfltlib.so.$(FLTLIB_VERSION) $(DESTDIR)$(LIBDIR)/$(FLTLIB_SONAME) \
		$(DESTDIR)$(LIBDIR)/libfltlib.so $(DESTDIR)$(LIBDIR)/pkgconfig/fltlib.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/fltlib

fltlib-tests: $(FLTLIB_LIB)
	@$(MAKE) --no-print-directory -s install-fltlib PREFIX=$(FLTLIB_STAGE) DESTDIR= LIBDIR=$(FLTLIB_STAGE)/lib \
		INCLUDEDIR=$(FLTLIB_STAGE)/include
	@mkdir -p $(FLTLIB_TEST_BIN)
	@set -e; flags="$$($(FLTLIB_PKG) --cflags fltlib)"; libs="$$($(FLTLIB_PKG) --libs fltlib)"; \
	rpath="-Wl,-rpath,$$($(FLTLIB_PKG) --variable=libdir fltlib)"; \
	for program in flt_send flt_threads flt_api flt_listen flt_overlapped flt_descriptors flt_scan win32_calls \
		filter_management win32_runtime; do \
		echo "  CC   $(FLTLIB_TEST_BIN)/$$program (pkg-config fltlib)"; \
		$(CC) $(FLTLIB_TEST_CFLAGS) $$flags -o $(FLTLIB_TEST_BIN)/$$program fltlib/tests/$$program.c $$libs $$rpath; \
	done; \
	echo "  CXX  $(FLTLIB_TEST_BIN)/seed_client (pkg-config fltlib)"; \
	$(CXX) -std=c++17 -O2 -g $(FLTLIB_WARNINGS) -Werror $(FLTLIB_SANITIZE) $$flags -o $(FLTLIB_TEST_BIN)/seed_client \
		fltlib/tests/seed_client.cpp $$libs $$rpath
	@./$(FLTLIB_TEST_BIN)/win32_calls > $(FLTLIB_TEST_BIN)/win32_calls.log || { cat $(FLTLIB_TEST_BIN)/win32_calls.log; exit 1; }
	@echo "win32_calls: $$(tail -1 $(FLTLIB_TEST_BIN)/win32_calls.log)"
	@./$(FLTLIB_TEST_BIN)/filter_management > $(FLTLIB_TEST_BIN)/filter_management.log || \
		{ cat $(FLTLIB_TEST_BIN)/filter_management.log; exit 1; }
	@echo "filter_management: $$(tail -1 $(FLTLIB_TEST_BIN)/filter_management.log)"
	@./$(FLTLIB_TEST_BIN)/win32_runtime > $(FLTLIB_TEST_BIN)/win32_runtime.log || \
		{ cat $(FLTLIB_TEST_BIN)/win32_runtime.log; exit 1; }
	@echo "win32_runtime: $$(tail -1 $(FLTLIB_TEST_BIN)/win32_runtime.log)"
	@echo "  CC   $(FLTLIB_TEST_BIN)/wire_vectors (library sources)"
	@$(CC) $(FLTLIB_TEST_CFLAGS) $(FLTLIB_INTERNAL_INCLUDES) -o $(FLTLIB_TEST_BIN)/wire_vectors \
		fltlib/tests/wire_vectors.c fltlib/src/wire.c fltlib/src/status.c fltlib/src/port_name.c \
		fltlib/src/wide_path.c fltlib/src/last_error.c $(FLTLIB_LOWERCASE_SOURCES)
	./$(FLTLIB_TEST_BIN)/wire_vectors Tests/WireVectors/wire-vectors.txt
	@echo "  CC   $(FLTLIB_TEST_BIN)/port_name_foldings (library sources)"
	@$(CC) $(FLTLIB_TEST_CFLAGS) $(FLTLIB_INTERNAL_INCLUDES) -o $(FLTLIB_TEST_BIN)/port_name_foldings \
		fltlib/tests/port_name_foldings.c fltlib/src/port_name.c $(FLTLIB_LOWERCASE_SOURCES)
	@echo "  CC   $(FLTLIB_TEST_BIN)/port_sleepers (library sources)"
	@$(CC) $(FLTLIB_TEST_CFLAGS) $(FLTLIB_INTERNAL_INCLUDES) -o $(FLTLIB_TEST_BIN)/port_sleepers \
		fltlib/tests/port_sleepers.c fltlib/src/port_sleepers.c
	./$(FLTLIB_TEST_BIN)/port_sleepers
	@echo "  CC   $(FLTLIB_TEST_BIN)/fuzz_client_replay (library sources)"
	@$(CC) $(FLTLIB_TEST_CFLAGS) -DFLTLIB_FUZZ_REPLAY $(FLTLIB_INTERNAL_INCLUDES) \
		-o $(FLTLIB_TEST_BIN)/fuzz_client_replay fltlib/tests/fuzz_client.c $(FLTLIB_SOURCES)
	./$(FLTLIB_TEST_BIN)/fuzz_client_replay Fuzz/Corpus/client-frames/* $(wildcard Fuzz/Regressions/fltlib-client-frames/*)

# Every finding stops the program that made it: UBSan's through -fno-sanitize-recover=all, ASan's by default, and
# LeakSanitizer's at exit. So a finding fails the static tests here, and the integration tests that run the sanitized
# programs against a daemon (FltLibTests, and ScannerTests against minifltscan, on ports of their own) through
# MINIFLT_FLTLIB_TEST_BIN.
FLTLIB_SANITIZE_BUILD := .build/fltlib-sanitize
FLTLIB_SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

fltlib-sanitize: setup
	$(MAKE) --no-print-directory fltlib-tests FLTLIB_WERROR=-Werror FLTLIB_SANITIZE="$(FLTLIB_SANITIZE_FLAGS)" \
		FLTLIB_BUILD=$(FLTLIB_SANITIZE_BUILD) FLTLIB_STAGE=$(CURDIR)/$(FLTLIB_SANITIZE_BUILD)/stage \
		FLTLIB_TEST_BIN=$(FLTLIB_SANITIZE_BUILD)/tests
	$(SWIFT) build --build-tests
	MINIFLT_FLTLIB_TEST_BIN=$(CURDIR)/$(FLTLIB_SANITIZE_BUILD)/tests \
		$(SWIFT) test --skip-build --filter 'FltLibTests|PortNameAgreementTests|ScannerTests'
