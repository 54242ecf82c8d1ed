# SPDX-License-Identifier: MIT
# The benchmark (`make bench`, not part of `make test`). Included by the top-level Makefile.
#
#   make bench                   every row, 1 s per cell; the report goes to stdout and .build/bench/results.md
#   make bench BENCH_SECONDS=3   longer cells
#   make bench-watch             only the watched-opens section (fanotify: a C floor, minifltd, the cache)

BENCH_SECONDS ?= 1
BENCH_BIN := .build/bench
BENCH_CFLAGS := -O2 -g -Wall -Wextra -Werror -pthread

.PHONY: bench bench-build bench-watch

bench-build: setup build
	@command -v dbus-daemon >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dbus-daemon; }
	@$(MAKE) --no-print-directory -s install-fltlib PREFIX=$(FLTLIB_STAGE) DESTDIR= LIBDIR=$(FLTLIB_STAGE)/lib \
		INCLUDEDIR=$(FLTLIB_STAGE)/include
	@mkdir -p $(BENCH_BIN)
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/c-floor-server Benchmarks/c-floor-server.c
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_fltlib Benchmarks/bench_fltlib.c \
		$$($(FLTLIB_PKG) --cflags --libs fltlib) -Wl,-rpath,$(FLTLIB_STAGE)/lib
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_fltlib_get Benchmarks/bench_fltlib_get.c \
		$$($(FLTLIB_PKG) --cflags --libs fltlib) -Wl,-rpath,$(FLTLIB_STAGE)/lib
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_pipelined Benchmarks/bench_pipelined.c
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_dbus Benchmarks/bench_dbus.c $$(pkg-config --cflags --libs libsystemd)
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_fanotify_floor Benchmarks/bench_fanotify_floor.c
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_opener Benchmarks/bench_opener.c
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_watch_client Benchmarks/bench_watch_client.c \
		$$($(FLTLIB_PKG) --cflags --libs fltlib) -Wl,-rpath,$(FLTLIB_STAGE)/lib
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/bench_scan_client Benchmarks/bench_scan_client.c \
		$$($(FLTLIB_PKG) --cflags --libs fltlib) -Wl,-rpath,$(FLTLIB_STAGE)/lib

bench: bench-build
	python3 Benchmarks/bench.py --bin $(BENCH_BIN) --minifltd .build/release/minifltd \
		--minifltctl .build/release/minifltctl --seconds $(BENCH_SECONDS) --out $(BENCH_BIN)/results.md
	python3 Benchmarks/bench_watch.py --bin $(BENCH_BIN) --minifltd .build/release/minifltd \
		--minifltscan .build/release/minifltscan --seconds $(BENCH_SECONDS) --out $(BENCH_BIN)/results.md

# Only the watched-opens section (Benchmarks/bench_watch.py).
bench-watch: bench-build
	python3 Benchmarks/bench_watch.py --bin $(BENCH_BIN) --minifltd .build/release/minifltd \
		--minifltscan .build/release/minifltscan --seconds $(BENCH_SECONDS) --out $(BENCH_BIN)/results-watch.md
