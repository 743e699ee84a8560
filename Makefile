# Liaison -- top-level wrapper around CMake.
#   make demo    install missing packages, build, run the local task force demo
#   make test    install missing packages, build normal + sanitizer, run ctest on both
#   make bench   build and run the benchmarks (prints one table)
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
BUILD  ?= build
ASAN   ?= build-asan
CMAKE  ?= cmake
CTEST  ?= ctest

.PHONY: all deps build build-asan test test-fast demo bench bench-short \
	install package clean

all: build

deps:
	@sh scripts/install-deps

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLSN_WERROR=ON

$(ASAN)/CMakeCache.txt:
	$(CMAKE) -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DLSN_WERROR=ON \
		-DLSN_SANITIZE=address,undefined

build: deps $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN)/CMakeCache.txt
	$(CMAKE) --build $(ASAN) -j $(JOBS)

# Normal build first, then the sanitizer build; both run the whole suite.
test: build build-asan
	cd $(BUILD) && $(CTEST) --output-on-failure -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(CTEST) --output-on-failure -j $(JOBS) -LE bench

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
	rm -rf $(BUILD) $(ASAN)
