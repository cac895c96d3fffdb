# Switchyard. Every target runs on a current Node LTS: scripts/ensure-node.sh
# fetches node@24 from the npm registry into .tools/ when the machine's is older.
SHELL := /bin/bash
NODE_DIR := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_DIR):$(PATH)
CONFIG ?= gateway.d
# Routing unit tests run by `make validate` against $(CONFIG); empty to skip.
ROUTING_TESTS ?= $(if $(filter gateway.d,$(CONFIG)),gateway.test.yaml,)

.PHONY: all install build typecheck test test-unit test-e2e validate run bench bench-quick bench-hostile bench-config bench-config-push scale test-clients soak image clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

# tsc copies no .lua: the Redis limit store's scripts are copied beside their module (dist/limits/).
LUA := $(shell find src -name '*.lua' 2>/dev/null)

dist/cli.js: node_modules/.package-lock.json $(shell find src -name '*.ts' 2>/dev/null) $(LUA) tsconfig.json
	npx tsc -p tsconfig.json
	@for f in $(LUA); do mkdir -p "dist/$$(dirname "$${f#src/}")" && cp "$$f" "dist/$${f#src/}"; done
	@chmod +x dist/cli.js

# build-info.json tells `switchyard --version` the commit it was built from; rewritten on every
# build (the commit can change without a source file changing), "unknown" outside a git checkout.
build: dist/cli.js
	@commit=$$(git describe --always --dirty --abbrev=12 --match=NO-TAGS 2>/dev/null || echo unknown); \
	  printf '{"commit":"%s","built_at":"%s"}\n' "$$commit" "$$(date -u +%Y-%m-%dT%H:%M:%SZ)" > dist/build-info.json.tmp && \
	  mv dist/build-info.json.tmp dist/build-info.json

typecheck: install
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json

validate: build
	node dist/cli.js validate $(CONFIG)
	$(if $(ROUTING_TESTS),node dist/cli.js test $(ROUTING_TESTS) --config $(CONFIG))

run: build
	node dist/cli.js serve --config $(CONFIG)

# Two runs (which file is in which: test/suites.cjs): pure unit tests in parallel, then end-to-end.
test: build typecheck
	npx mocha --config .mocharc.unit.cjs
	npx mocha --config .mocharc.e2e.cjs

test-unit: typecheck
	npx mocha --config .mocharc.unit.cjs

test-e2e: build typecheck
	npx mocha --config .mocharc.e2e.cjs

# The real Claude Code and Codex CLIs through a running gateway (installs them into .tools/clis on first run).
test-clients: build
	npx mocha test/clients/agent-clis.test.ts

bench: build
	node bench/run.ts

bench-quick: build
	node bench/run.ts --quick

# What a hostile upstream (a 300 MB reply, a 50 MB stream line) costs a real gateway process.
bench-hostile: build
	node bench/hostile-upstream.ts

# Load time of a 20,000-entry config (valid, invalid) and /healthz latency while a running gateway hot-reloads it.
bench-config: build
	node bench/config-load.ts

# Push -> served for a real `serve --git-url`: signed webhook, POST /-/reload, SIGHUP and polling.
bench-config-push: build
	node bench/config-push.ts

soak: build
	node bench/soak.ts

# The container image, with the commit and build date the image carries (OCI labels, build-info.json).
# IMAGE_TARGET=git adds git + ssh for `serve --git-url`.
IMAGE ?= switchyard:$(shell node -p 'require("./package.json").version' 2>/dev/null || echo dev)
IMAGE_TARGET ?= runtime
image:
	docker build --target $(IMAGE_TARGET) -t $(IMAGE) \
	  --build-arg VCS_REF=$$(git describe --always --dirty --abbrev=12 --match=NO-TAGS 2>/dev/null || echo unknown) \
	  --build-arg BUILD_DATE=$$(date -u +%Y-%m-%dT%H:%M:%SZ) \
	  --build-arg VERSION=$$(node -p 'require("./package.json").version') .

# Overload shedding at 3,000 streams, start-up against usage-log size, `usage` lines/s (issue #18).
# LINES=0,2000000,20000000 adds the 20M-line log (~8.5 GB of disk, minutes to write).
scale: build
	node bench/scale.ts --lines $${LINES:-0,2000000}

clean:
	rm -rf dist
