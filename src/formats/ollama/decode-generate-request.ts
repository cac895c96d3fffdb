// POST /api/generate body -> IR: the prompt becomes one user message, system
// the system prompt. `raw`, `template` and `context` steer a local runner's
// prompt template and token cache; upstream providers apply their own, so
// they are dropped. `suffix` (fill-in-the-middle) has no chat equivalent and
// is refused rather than answered as a plain completion.

import { FormatError } from '../codec.ts';
import type { ChatRequest, ContentPart } from '../ir.ts';
import { expectArray, expectObject, expectString, optionalString } from '../openai-responses/json-value.ts';
import { ollamaImage } from './decode-images.ts';
import { decodeSharedSettings } from './decode-options.ts';

export function decodeOllamaGenerateRequest(body: unknown): ChatRequest {
  const request = expectObject(body, 'request body');
  const model = expectString(request.model, 'model');
  if (model === '') throw new FormatError('model must not be empty');
  if (optionalString(request.suffix, 'suffix')) {
    throw new FormatError('suffix (fill-in-the-middle) is not supported; send the whole prompt');
  }

  const prompt = optionalString(request.prompt, 'prompt') ?? '';
  const content: ContentPart[] = prompt === '' ? [] : [{ type: 'text', text: prompt }];
  if (request.images !== undefined && request.images !== null) {
    expectArray(request.images, 'images').forEach((image, index) => {
      content.push({ type: 'image', source: ollamaImage(image, `images[${index}]`) });
    });
  }
  if (content.length === 0) throw new FormatError('prompt is empty; Switchyard does not load or unload models');

  const system = optionalString(request.system, 'system');
  return {
    model,
    system: system ? [system] : [],
    messages: [{ role: 'user', content }],
    ...decodeSharedSettings(request),
  };
}
