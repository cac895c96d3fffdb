// POST /api/generate body -> IR: the prompt becomes one user message, system
// the system prompt. `raw`, `template` and `context` steer a local runner's
// prompt template and token cache; upstream providers apply their own, so
// they are dropped. `suffix` (fill-in-the-middle) has no chat equivalent and
// is refused rather than answered as a plain completion.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ContentPart } from '../ir.ts';
import { readArray, readOptionalString, readRecord, readString } from '../shared/json-reader.ts';
import { ollamaImage } from './decode-images.ts';
import { decodeSharedSettings } from './decode-options.ts';

export function decodeOllamaGenerateRequest(body: unknown): ChatRequest {
  const request = readRecord(body, 'request body');
  const model = readString(request, 'model', 'request');
  if (model === '') throw new FormatError('model must not be empty');
  if (readOptionalString(request, 'suffix', 'request')) {
    throw new FormatError('suffix (fill-in-the-middle) is not supported; send the whole prompt');
  }

  const prompt = readOptionalString(request, 'prompt', 'request') ?? '';
  const content: ContentPart[] = prompt === '' ? [] : [{ type: 'text', text: prompt }];
  if (request.images !== undefined && request.images !== null) {
    readArray(request.images, 'images').forEach((image, index) => {
      content.push({ type: 'image', source: ollamaImage(image, `images[${index}]`) });
    });
  }
  if (content.length === 0) throw new FormatError('prompt is empty; Switchyard does not load or unload models');

  const system = readOptionalString(request, 'system', 'request');
  return {
    model,
    system: system ? [system] : [],
    messages: [{ role: 'user', content }],
    ...decodeSharedSettings(request),
  };
}
