# Switchyard. Every target runs on a current Node LTS: scripts/ensure-node.sh
# fetches node@24 from the npm registry into .tools/ when the machine's is older.
SHELL := /bin/bash
NODE_DIR := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_DIR):$(PATH)
CONFIG ?= gateway.d

.PHONY: all install build typecheck test validate run bench bench-quick bench-hostile bench-config scale test-clients soak clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

dist/cli.js: node_modules/.package-lock.json $(shell find src -name '*.ts' 2>/dev/null) tsconfig.json
	npx tsc -p tsconfig.json
	@chmod +x dist/cli.js

build: dist/cli.js

typecheck: install
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json

validate: build
	node dist/cli.js validate $(CONFIG)

run: build
	node dist/cli.js serve --config $(CONFIG)

test: build typecheck
	npx mocha 'test/**/*.test.ts' --ignore 'test/clients/agent-clis.test.ts'

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

soak: build
	node bench/soak.ts

# Overload shedding at 3,000 streams, start-up against usage-log size, `usage` lines/s (issue #18).
# LINES=0,2000000,20000000 adds the 20M-line log (~8.5 GB of disk, minutes to write).
scale: build
	node bench/scale.ts --lines $${LINES:-0,2000000}

clean:
	rm -rf dist
