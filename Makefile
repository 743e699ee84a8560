# Liaison -- top-level wrapper around CMake.
#   make demo    install missing packages, build, run the local task force demo
#   make test    install missing packages, build normal + sanitizer, run ctest on both
#   make bench   build and run the benchmarks (prints one table)
#   make fuzz    clang fuzz build, each libFuzzer harness for FUZZ_SECONDS
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
BUILD  ?= build
ASAN   ?= build-asan
CMAKE  ?= cmake
CTEST  ?= ctest
# Fuzzing (tests/fuzz): a separate clang build; `make fuzz` runs each
# harness FUZZ_SECONDS, FUZZ_JOBS at a time; `make test` runs the short mode.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_JOBS    ?= 1
FUZZ_SHORT_SECONDS ?= 15
# make fuzz-long: each harness FUZZ_LONG_RUNS executions (at most
# FUZZ_LONG_SECONDS), then what it found is merged into tests/fuzz/corpus.
FUZZ_LONG_RUNS    ?= 10000000
FUZZ_LONG_SECONDS ?= 86400

.PHONY: all deps build build-asan test test-fast demo bench bench-short \
	install package clean build-fuzz fuzz fuzz-short fuzz-long

all: build

deps:
	@sh scripts/install-deps

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLSN_WERROR=ON

$(ASAN)/CMakeCache.txt:
	$(CMAKE) -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DLSN_WERROR=ON \
		-DLSN_SANITIZE=address,undefined

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=$(FUZZ_CC) $(CMAKE) -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS=-O1 -DLSN_WERROR=ON -DLSN_FUZZ=ON

build: deps $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN)/CMakeCache.txt
	$(CMAKE) --build $(ASAN) -j $(JOBS)

# Normal build first, then the sanitizer build; both run the whole suite;
# then every fuzz harness for FUZZ_SHORT_SECONDS (two at a time).
test: build build-asan
	cd $(BUILD) && $(CTEST) --output-on-failure -j $(JOBS)
	@sh scripts/test-figures.sh $(BUILD) normal
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(CTEST) --output-on-failure -j $(JOBS) -LE bench
	@sh scripts/test-figures.sh $(ASAN) ASan+UBSan
	$(MAKE) fuzz-short

# Only the harnesses and what they link (not the whole tree).
build-fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	$(CMAKE) --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers

fuzz: build-fuzz
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

fuzz-short: build-fuzz
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SHORT_SECONDS) 2

# Only the normal build (quicker loop while developing).
test-fast: build
	cd $(BUILD) && $(CTEST) --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

bench: build
	@bash scripts/bench.sh $(BUILD)

install: build
	$(CMAKE) --install $(BUILD)

package: build
	cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ_BUILD)

fuzz-long: build-fuzz
	FUZZ_RUNS=$(FUZZ_LONG_RUNS) FUZZ_MERGE=1 sh tests/fuzz/run.sh \
		$(FUZZ_BUILD) $(FUZZ_LONG_SECONDS) $(FUZZ_JOBS)
