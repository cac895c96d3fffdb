// temperature and top_p carry the same names and meaning in every caller
// protocol (Chat and Responses bodies, Anthropic bodies, Ollama options), so
// one reader takes both into the IR.

import type { ChatRequest } from '../ir.ts';
import { readOptionalNumber } from './json-reader.ts';
import type { JsonObject } from './json-reader.ts';

export type Sampling = Pick<ChatRequest, 'temperature' | 'topP'>;

/** The sampling settings `object` gives; absent ones are left out, not set to undefined. */
export function readSampling(object: JsonObject, path: string): Sampling {
  const sampling: Sampling = {};
  const temperature = readOptionalNumber(object, 'temperature', path);
  if (temperature !== undefined) sampling.temperature = temperature;
  const topP = readOptionalNumber(object, 'top_p', path);
  if (topP !== undefined) sampling.topP = topP;
  return sampling;
}
