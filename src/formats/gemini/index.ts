// Google Gemini: the upstream codec (provider type `gemini`, generateContent and
// streamGenerateContent?alt=sse). Gemini is never an inbound protocol.
//
// Dropped on purpose (no Gemini counterpart):
// - request: parallel_tool_calls, user / metadata.user_id, tool `strict`,
//   reasoning parts in the history (Gemini re-derives its thoughts), the
//   response format's name and strict flag. A reasoning effort becomes a
//   thinkingBudget (see reasoning-budget.ts) with includeThoughts on.
// - refused with 400 instead of dropped: images given by URL (Gemini cannot
//   fetch them; inline base64 and data: URLs work), an image in an assistant
//   message, a tool result whose call id no earlier tool call had.
// - reply: only the first candidate; thought signatures (the next request
//   carries Google's validator-skip value instead, see encode-gemini-request.ts);
//   executable code, code execution results and generated media parts;
//   safety ratings, citation and grounding metadata. Tool call ids are made up
//   (Gemini before 3 has none) and tool results are matched back by function name.
// - a tool result is sent as functionResponse.response {output: text}, or
//   {error: text} when the caller marked it as an error.

import type { UpstreamCodec } from '../codec.ts';
import { decodeGeminiError } from './decode-gemini-error.ts';
import { decodeGeminiResponse } from './decode-gemini-response.ts';
import { encodeGeminiRequest } from './encode-gemini-request.ts';
import { GeminiStreamDecoder } from './gemini-stream-decoder.ts';

export { fromGeminiUsage } from './convert-gemini-usage.ts';
export { GeminiStreamDecoder } from './gemini-stream-decoder.ts';
export { SKIP_THOUGHT_SIGNATURE } from './encode-gemini-request.ts';

export const geminiUpstream: UpstreamCodec = {
  protocol: 'gemini',
  encodeRequest: encodeGeminiRequest,
  decodeResponse: decodeGeminiResponse,
  createStreamDecoder: () => new GeminiStreamDecoder(),
  decodeError: decodeGeminiError,
};
