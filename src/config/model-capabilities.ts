// What a model takes, when its config entry does not say (`reasoning` unset).
// Decided once per load from the name sent upstream. The rule, also in the
// README: a model reasons when its name belongs to a family that takes a
// reasoning parameter — OpenAI o1/o3/o4 and gpt-5 (and codex, gpt-oss),
// Claude 3.7 and every Claude 4 or later, Gemini 2.5 and later, DeepSeek R1 /
// deepseek-reasoner, QwQ, Qwen3, Magistral, Grok 3 mini and Grok 4, or any
// name containing "thinking" or "reason". Anything else (gpt-4o, gpt-4.1,
// claude-3-5-sonnet, gemini-2.0-flash, llama3.2...) gets no reasoning
// parameter: a wrong "no" costs the caller some thinking, a wrong "yes" a 400.

const reasoningFamilies = [
  /(^|[/_.-])o[1-9](-|$)/, /gpt-5/, /codex/, /gpt-oss/,
  /claude-3-7/, /claude-(opus|sonnet|haiku)-([4-9]|\d\d)/, /claude-([4-9]|\d\d)/,
  /gemini-(2\.5|[3-9])/, /deepseek-(r1|reasoner)/, /qwq/, /qwen3/, /magistral/, /grok-(3-mini|[4-9])/,
  /thinking/, /reason/,
];

export function reasonsByName(upstreamName: string): boolean {
  const name = upstreamName.toLowerCase();
  return reasoningFamilies.some((family) => family.test(name));
}
