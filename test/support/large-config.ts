// Generated config folders of many entries (issue 13: a big config froze
// serving), shared by the tests and `bench/config-load.ts`. One entry per
// line, so entry i sits on a line the tests can compute.

/** Every provider's credential is this variable, so a load with secrets checked must resolve 20,000 references. */
export const largeConfigSecretVariable = 'LARGE_CONFIG_API_KEY';

/**
 * A valid folder: `count` OpenAI-style providers with one priced model each
 * (provider i is `provider-NNNNN` on line i + 2 of gateway.yaml), a group over
 * the first two and a key allowed everything.
 */
export function manyProviders(count: number): Record<string, string> {
  const lines = ['providers:'];
  for (let i = 0; i < count; i++) {
    lines.push(`  ${providerName(i)}: { type: openai, base_url: "https://p${i}.example.com/v1", api_keys: ["\${${largeConfigSecretVariable}}"], models: { m: { input: 1, output: 2 } } }`);
  }
  lines.push(
    'groups:',
    `  pool: { strategy: failover, members: [{ target: ${providerName(0)}/m }, { target: ${providerName(Math.min(1, count - 1))}/m }] }`,
    'keys:',
    `  everything: { sha256: "${'e'.repeat(64)}", models: ["*"] }`,
    '',
  );
  return { 'gateway.yaml': lines.join('\n') };
}

/**
 * An invalid folder: `count` keys, each with `models` misspelt `modles`, so
 * each has two schema errors (the unknown field, the missing `models`). Key i
 * is `key-NNNNN` on line i + 4 of gateway.yaml.
 */
export function manyMisspeltKeys(count: number): Record<string, string> {
  const lines = ['providers:', '  demo: { type: mock, models: { echo: {} } }', 'keys:'];
  for (let i = 0; i < count; i++) {
    lines.push(`  ${keyName(i)}: { sha256: "${i.toString(16).padStart(64, '0')}", modles: [demo/echo] }`);
  }
  lines.push('');
  return { 'gateway.yaml': lines.join('\n') };
}

export function providerName(i: number): string {
  return `provider-${String(i).padStart(5, '0')}`;
}

export function keyName(i: number): string {
  return `key-${String(i).padStart(5, '0')}`;
}
