# SPDX-License-Identifier: MIT
# Fuzzing with libFuzzer. Included by the top-level Makefile.
#
#   make fuzz FUZZ_SECONDS=600    build the targets with -sanitize=fuzzer,address and fuzz each for
#                                 FUZZ_SECONDS (default 60); new inputs go to .build-fuzz/corpus/TARGET,
#                                 crashes to fuzz-artifacts/
#   make fuzz FUZZ_TARGETS=sddl   one target only
#   make fuzz-smoke               what CI runs (.ci/run): every target for FUZZ_SMOKE_SECONDS (default 20)
#
# Targets: frame-decoder, sddl and client-frames (Swift, Fuzz/Targets, one `minifltfuzz` binary that
# MINIFLT_FUZZ_TARGET points at a target), and fltlib-client-frames (libfltlib, fltlib/tests/fuzz_client.c,
# which shares client-frames' corpus; built with UndefinedBehaviorSanitizer too, halting on a finding). A crash
# file is a finding: fix it, then keep the file in Fuzz/Regressions/TARGET, where `make test` replays it. Reproduce one with
# MINIFLT_FUZZ_TARGET=TARGET .build-fuzz/release/minifltfuzz CRASH_FILE (or .build-fuzz/fltlib-client-frames CRASH_FILE).

FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS ?= frame-decoder sddl client-frames fltlib-client-frames
FUZZ_BUILD := .build-fuzz
FUZZ_FLAGS := -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
# Swift's clang, which has libFuzzer's runtime.
FUZZ_CC ?= clang

.PHONY: fuzz fuzz-build fuzz-smoke

# Not SwiftPM's --sanitize=fuzzer --sanitize=address: it passes those as two flags in no fixed order, and swiftc
# keeps only the last, so about every other build had no coverage counters and libFuzzer fuzzed blind.
# --sanitize=fuzzer alone links libFuzzer's main; the -Xswiftc flag, which comes last, instruments for both.
# The check after the build refuses a binary without counters.
fuzz-build: setup
	$(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product minifltfuzz --sanitize=fuzzer \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library
	@counters=$$(MINIFLT_FUZZ_TARGET=sddl $(FUZZ_BUILD)/release/minifltfuzz -runs=0 2>&1 | sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p'); \
		[ "$${counters:-0}" -gt 1000 ] || { echo "fuzz: minifltfuzz has $${counters:-no} coverage counters; it was not built for fuzzing"; exit 1; }
	$(FUZZ_CC) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -pthread $(FLTLIB_INTERNAL_INCLUDES) \
		-o $(FUZZ_BUILD)/fltlib-client-frames fltlib/tests/fuzz_client.c $(FLTLIB_SOURCES)

fuzz: fuzz-build
	@mkdir -p fuzz-artifacts
	@set -e; for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$target; \
		case $$target in \
			fltlib-client-frames) binary=$(FUZZ_BUILD)/fltlib-client-frames; seeds=Fuzz/Corpus/client-frames;; \
			*) binary=$(FUZZ_BUILD)/release/minifltfuzz; seeds=Fuzz/Corpus/$$target;; \
		esac; \
		kept=; [ -d Fuzz/Regressions/$$target ] && kept=Fuzz/Regressions/$$target; \
		echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
		MINIFLT_FUZZ_TARGET=$$target $$binary $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=fuzz-artifacts/$$target- $(FUZZ_BUILD)/corpus/$$target $$seeds $$kept \
			|| { echo "fuzz: $$target found a crash (fuzz-artifacts/$$target-*): fix it and keep the file in Fuzz/Regressions/$$target"; exit 1; }; \
	done

# A short run of every target, on its corpus and the kept crashes, for each change (.ci/run). A crash, a leak, a
# hang past -timeout or a build without coverage fails it, as it fails `make fuzz`.
fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)
