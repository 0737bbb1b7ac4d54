# keysmith: `make run` starts the server, `make test` runs every test.
GO      ?= go
BIN     := bin/keysmith
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build run test lint

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/keysmith

run: build
	./$(BIN) http --bootstrap

test:
	$(GO) test -race ./...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
