# Fuzzing with libFuzzer. Included by the top-level Makefile.
#
#   make fuzz FUZZ_SECONDS=600    build minifltfuzz with -sanitize=fuzzer,address and fuzz each target for
#                                 FUZZ_SECONDS (default 60); new inputs go to .build-fuzz/corpus/TARGET,
#                                 crashes to fuzz-artifacts/
#   make fuzz FUZZ_TARGETS=sddl   one target only
#
# A crash file is a finding: fix it, then keep the file in Fuzz/Regressions/TARGET, where `make test`
# replays it. Reproduce one with: MINIFLT_FUZZ_TARGET=TARGET .build-fuzz/release/minifltfuzz CRASH_FILE

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= frame-decoder sddl client-frames
FUZZ_BUILD := .build-fuzz
FUZZ_FLAGS := -timeout=10 -rss_limit_mb=4096 -print_final_stats=1

.PHONY: fuzz fuzz-build

fuzz-build: setup
	$(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product minifltfuzz --sanitize=fuzzer --sanitize=address \
		-Xswiftc -DFUZZING -Xswiftc -parse-as-library

fuzz: fuzz-build
	@mkdir -p fuzz-artifacts
	@set -e; for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$target; \
		echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
		MINIFLT_FUZZ_TARGET=$$target $(FUZZ_BUILD)/release/minifltfuzz $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=fuzz-artifacts/$$target- $(FUZZ_BUILD)/corpus/$$target Fuzz/Corpus/$$target \
			|| { echo "fuzz: $$target found a crash (fuzz-artifacts/$$target-*): fix it and keep the file in Fuzz/Regressions/$$target"; exit 1; }; \
	done
