# The README's two commands are `make demo` and `make test`; both set up what is missing first.
STATICCHECK_VERSION := v0.8.2
GOBIN_DIR := $(shell go env GOPATH)/bin
FUZZTIME ?= 30s
BENCHTIME ?= 1s
BENCHCOUNT ?= 6
PEERSCOUNT ?= 5

.PHONY: setup demo test race lint bench bench-runtime bench-peers fuzz fault

setup:
	@./scripts/setup.sh

## demo: the main job: an embedded kfake broker, the word count on the Kafka runtime with a RocksDB store, output and interactive queries printed
demo: setup
	go run ./cmd/tributary-demo

## test: every test of every package
test: setup
	go test -count=1 ./...

## race: every test under the race detector (CI runs it)
race: setup
	go test -race -count=1 ./...

## lint: gofmt, go mod tidy, go vet and staticcheck at a pinned version (CI runs it)
lint: setup
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go mod tidy -diff
	go vet ./...
	@[ -x $(GOBIN_DIR)/staticcheck ] && $(GOBIN_DIR)/staticcheck -version | grep -q '($(STATICCHECK_VERSION:v%=%))' || go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN_DIR)/staticcheck ./...

## bench: the benchmarks of BENCHMARKS.md, beside their baselines (output in bench.txt; compare with benchstat)
bench: setup
	go test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) ./store/... | tee bench.txt

## bench-runtime: the Kafka runtime's benchmarks on an in-process kfake broker (issue 4 in BENCHMARKS.md)
bench-runtime: setup
	go test ./driver -run '^$$' -bench 'CountByKey|RawConsume' -benchtime=5x -count=$(BENCHCOUNT) | tee bench-runtime.txt
	go test ./driver -run '^$$' -bench 'Failover' -benchtime=1x -count=$(BENCHCOUNT) | tee -a bench-runtime.txt
	go test ./changelog -run '^$$' -bench 'Restore1M|RawConsume1M|Write1M' -benchtime=1x -count=$(BENCHCOUNT) | tee -a bench-runtime.txt

## bench-peers: count-by-key, Tributary vs goka on one in-process kfake broker (issue 8 in BENCHMARKS.md; its own module in bench/peers, not run in CI)
bench-peers: setup
	cd bench/peers && go test -run '^$$' -bench . -benchtime=1x -count=$(PEERSCOUNT)

## fuzz: every fuzz target for FUZZTIME each
fuzz: setup
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; go test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

## fault: the multi-process fault test of the Kafka runtime: a kfake broker process, 3 application processes, 1M records over 10k keys, one instance killed with SIGKILL every FAULT_KILL_EVERY and restarted, every count checked (go test runs a short version, TestFaultShort)
FAULT_KILL_EVERY ?= 3s
FAULT_GUARANTEE ?= at_least_once
FAULT_STANDBYS ?= 0
fault: setup
	go run ./cmd/tributary-fault -records 1000000 -keys 10000 -kill-every $(FAULT_KILL_EVERY) -guarantee $(FAULT_GUARANTEE) -standbys $(FAULT_STANDBYS)
