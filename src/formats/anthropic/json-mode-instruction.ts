// JSON mode for upstreams without a response-format switch (Anthropic here):
// emulated by a final system instruction. The model is asked, not forced, so a
// reply can still stray. Anthropic's own output_config.format is refused by
// older models, so the instruction is the choice that works for every model.

import type { ResponseFormat } from '../ir.ts';

export function jsonModeInstruction(format: ResponseFormat | undefined): string | undefined {
  if (!format || format.type === 'text') return undefined;
  const base = 'Respond with one valid JSON value only: no prose before or after it and no Markdown code fences.';
  if (format.type === 'json_object') return `${base} The value must be a JSON object.`;
  return `${base} It must conform to this JSON Schema (named "${format.name}"):\n${JSON.stringify(format.schema)}`;
}
