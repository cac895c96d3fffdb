// A Gemini `generateContent` reply -> IR reply. Only the first candidate is
// read (the gateway never asks for more). A prompt blocked before any
// candidate is an empty reply finished by the content filter.

import type { ChatResponse, FinishReason } from '../ir.ts';
import { finishWithToolCalls } from '../shared/finish-with-tool-calls.ts';
import { isRecord, readRecord } from '../shared/json-reader.ts';
import { fromGeminiUsage } from './convert-gemini-usage.ts';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.ts';
import { GeminiPartReader } from './read-gemini-parts.ts';

export function decodeGeminiResponse(body: unknown): ChatResponse {
  const root = readRecord(body, 'upstream reply', 502);
  const reader = new GeminiPartReader(root.responseId);
  const candidate = Array.isArray(root.candidates) && isRecord(root.candidates[0]) ? root.candidates[0] : undefined;
  const content = candidate && isRecord(candidate.content) ? reader.read(candidate.content.parts) : [];
  let finish: FinishReason;
  if (candidate) finish = mapGeminiFinishReason(candidate.finishReason);
  else finish = isRecord(root.promptFeedback) && root.promptFeedback.blockReason !== undefined ? 'content_filter' : 'other';
  const response: ChatResponse = {
    id: typeof root.responseId === 'string' ? root.responseId : `gemini-${crypto.randomUUID().replaceAll('-', '')}`,
    model: typeof root.modelVersion === 'string' ? root.modelVersion : '',
    content,
    finishReason: finishWithToolCalls(finish, reader.toolCallCount > 0),
    created: Math.floor(Date.now() / 1000),
  };
  const usage = fromGeminiUsage(root.usageMetadata);
  if (usage) response.usage = usage;
  return response;
}
