// The request fields /api/chat and /api/generate share: format, options,
// think and stream. Ollama streams unless told otherwise (stream: false).
// Options with no IR counterpart (seed, top_k, num_ctx, repeat_penalty,
// mirostat, ...) and keep_alive are dropped: they tune a local runner.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ResponseFormat } from '../ir.ts';
import { isRecord, readOptionalBoolean, readOptionalNumber, readRecord } from '../shared/json-reader.ts';
import type { JsonObject } from '../shared/json-reader.ts';
import { readSampling } from '../shared/read-sampling.ts';

type Settings = Pick<ChatRequest, 'stream' | 'responseFormat' | 'maxTokens' | 'temperature' | 'topP' | 'stop' | 'reasoning'>;

export function decodeSharedSettings(request: JsonObject): Settings {
  const settings: Settings = { stream: readOptionalBoolean(request, 'stream', 'request') ?? true };
  const format = responseFormat(request.format);
  if (format !== undefined) settings.responseFormat = format;
  const effort = thinkEffort(request.think);
  if (effort !== undefined) settings.reasoning = { effort };
  if (request.options === undefined || request.options === null) return settings;

  const options = readRecord(request.options, 'options');
  Object.assign(settings, readSampling(options, 'options'));
  // num_predict -1 (no limit) and -2 (fill the context) mean "no maximum".
  const numPredict = readOptionalNumber(options, 'num_predict', 'options');
  if (numPredict !== undefined && numPredict > 0) settings.maxTokens = Math.floor(numPredict);
  const stop = stopSequences(options.stop);
  if (stop !== undefined) settings.stop = stop;
  return settings;
}

function responseFormat(format: unknown): ResponseFormat | undefined {
  if (format === undefined || format === null || format === '') return undefined;
  if (format === 'json') return { type: 'json_object' };
  if (isRecord(format)) return { type: 'json_schema', name: 'response', schema: format };
  throw new FormatError(`format must be "json" or a JSON schema object, not ${JSON.stringify(format)}`);
}

/** think: true asks for reasoning at the default (medium) effort. */
function thinkEffort(think: unknown): 'low' | 'medium' | 'high' | undefined {
  if (think === undefined || think === null || think === false) return undefined;
  if (think === true) return 'medium';
  if (think === 'low' || think === 'medium' || think === 'high') return think;
  throw new FormatError(`think must be true, false, "low", "medium" or "high", not ${JSON.stringify(think)}`);
}

function stopSequences(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((entry) => typeof entry === 'string')) return stop as string[];
  throw new FormatError('options.stop must be a string or an array of strings');
}
