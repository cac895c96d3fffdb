// Which test files run in which `make test` run (issue #17). Files are not
// moved between folders to classify them; they are listed here instead.
//   unit: pure — no process, server, Redis, Chromium, git or sleep; runs in
//         parallel first. New pure tests: name them *.unit.test.ts.
//   e2e:  every other test/**/*.test.ts: what only a real gateway, process or
//         tool shows; runs second.
//   manual: run by their own make target, not by `make test`.
// test/structure/test-suites.unit.test.ts fails when a file runs twice or never.

const { join } = require('node:path');

const root = join(__dirname, '..');
const abs = (paths) => paths.map((p) => join(root, p));

const unit = abs([
  'test/**/*.unit.test.ts',
  'test/cli/keys.test.ts',
  'test/cli/usage.test.ts',
  'test/config/compile.test.ts',
  'test/config/fixtures.test.ts',
  'test/config/merge.test.ts',
  'test/config/model-capabilities.test.ts',
  'test/config/robustness.test.ts',
  'test/config/secrets.test.ts',
  'test/config/version.test.ts',
  'test/deploy/dockerfile.test.ts',
  'test/deploy/kubernetes.test.ts',
  'test/formats/anthropic/anthropic-inbound.test.ts',
  'test/formats/anthropic/anthropic-upstream.test.ts',
  'test/formats/gemini/gemini-upstream.test.ts',
  'test/formats/ollama/decode-request.test.ts',
  'test/formats/ollama/stream-encoder.test.ts',
  'test/formats/openai-chat/cross-format.test.ts',
  'test/formats/openai-chat/openai-chat-inbound.test.ts',
  'test/formats/openai-chat/openai-chat-upstream.test.ts',
  'test/formats/openai-responses/codex-tools.test.ts',
  'test/formats/openai-responses/decode-request.test.ts',
  'test/formats/openai-responses/request-echo.test.ts',
  'test/formats/openai-responses/stream-encoder.test.ts',
  'test/formats/shared/shared-readers.test.ts',
  'test/formats/sse.test.ts',
  'test/limits/budget-recovery.test.ts',
  'test/matrix/reply-schema-sources.test.ts',
  'test/formats/shared/raw-json.test.ts',
  'test/providers/mock.test.ts',
  'test/telemetry/cost.test.ts',
  'test/telemetry/credential-redactor.test.ts',
  'test/telemetry/status-report.test.ts',
]);

/** The real Claude Code and Codex CLIs: `make test-clients`. */
const manual = abs(['test/clients/agent-clis.test.ts']);

const all = abs(['test/**/*.test.ts']);

module.exports = { root, unit, manual, all };
