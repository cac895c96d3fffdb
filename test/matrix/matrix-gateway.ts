// One real gateway in-process with one provider of each type: an OpenAI fake,
// an Anthropic fake, a Gemini fake (all on loopback, each with its own API
// key) and the built-in mock. Every model is renamed upstream, so the fakes
// can tell the gateway sent the upstream name.

import { startFakeAnthropic } from '../support/fake-anthropic.ts';
import { startFakeGemini } from '../support/fake-gemini.ts';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { sha256, startTestGateway, OTHER_TOKEN, TEST_TOKEN, type TestGateway } from '../support/test-gateway.ts';
import { anthropicWeatherModel, geminiWeatherModel, greeting, openAIWeatherModel } from './weather-models.ts';

export type UpstreamName = 'openai' | 'anthropic' | 'gemini' | 'mock';

/** The model id a caller sends, and the name the upstream must receive. */
export const MODELS: Record<UpstreamName, { id: string; upstream: string; provider: string }> = {
  openai: { id: 'oa/gpt', upstream: 'gpt-4o-2024-08-06', provider: 'oa' },
  anthropic: { id: 'an/claude', upstream: 'claude-sonnet-4-5-20250929', provider: 'an' },
  gemini: { id: 'ge/gemini', upstream: 'gemini-2.5-flash', provider: 'ge' },
  mock: { id: 'mk/echo', upstream: 'echo', provider: 'mk' },
};

export const MOCK_REPLY = greeting('the mock');

/** Credentials the fakes insist on: the gateway must send each provider's own. */
const KEYS = { openai: 'sk-fake-openai-matrix', anthropic: 'sk-ant-fake-matrix', gemini: 'AIzaFakeGeminiMatrix' };

export interface Matrix {
  gw: TestGateway;
  fakes: Record<Exclude<UpstreamName, 'mock'>, FakeUpstream>;
  keys: typeof KEYS;
  close(): Promise<void>;
}

export async function startMatrix(): Promise<Matrix> {
  process.env.MATRIX_OPENAI_KEY = KEYS.openai;
  process.env.MATRIX_ANTHROPIC_KEY = KEYS.anthropic;
  process.env.MATRIX_GEMINI_KEY = KEYS.gemini;
  const fakes = {
    openai: await startFakeUpstream(openAIWeatherModel(KEYS.openai)),
    anthropic: await startFakeAnthropic(anthropicWeatherModel, { apiKey: KEYS.anthropic, countTokens: () => 42 }),
    gemini: await startFakeGemini(geminiWeatherModel, { apiKey: KEYS.gemini, requireThoughtSignatures: true }),
  };
  const gw = await startTestGateway({
    '10-providers.yaml': `providers:
  oa:
    type: openai
    base_url: ${fakes.openai.url}/v1
    api_keys: ["\${MATRIX_OPENAI_KEY}"]
    models:
      gpt: { upstream: ${MODELS.openai.upstream}, input: 2.5, output: 10, cached_input: 1.25 }
  an:
    type: anthropic
    base_url: ${fakes.anthropic.url}
    api_keys: ["\${MATRIX_ANTHROPIC_KEY}"]
    models:
      claude: { upstream: ${MODELS.anthropic.upstream}, input: 3, output: 15, cached_input: 0.3 }
  ge:
    type: gemini
    base_url: ${fakes.gemini.url}
    api_keys: ["\${MATRIX_GEMINI_KEY}"]
    models:
      gemini: { upstream: ${MODELS.gemini.upstream}, input: 0.3, output: 2.5 }
  mk:
    type: mock
    models:
      echo: { reply: ${JSON.stringify(MOCK_REPLY)} }
`,
    // The matrix breaks streams on purpose many times; circuits must not open on it.
    '30-policies.yaml': 'policies:\n  default:\n    circuit_breaker: { failures: 100000, window_s: 1, cooldown_s: 1 }\n',
    'keys/keys.yaml': `keys:
  test:
    sha256: ${sha256(TEST_TOKEN)}
    models: ${JSON.stringify(Object.values(MODELS).map((m) => m.id))}
  other:
    sha256: ${sha256(OTHER_TOKEN)}
    models: ["mk/echo"]
`,
  });
  return {
    gw, fakes, keys: KEYS,
    close: async () => {
      await gw.close();
      await Promise.all(Object.values(fakes).map((f) => f.close()));
    },
  };
}
