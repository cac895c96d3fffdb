// Chat Completions on both sides: the request facts routing reads, and the
// pass-through (model rewritten in the caller's bytes; on a stream
// `stream_options.include_usage` added so the gateway can count tokens, and the
// usage-only chunk dropped again when the caller did not ask for it).

import type { PassThroughCodec, RequestFacts } from '../codec.ts';
import { isRecord } from '../shared/json-reader.ts';
import { PassThroughStream, midStreamErrorMessage, type PassThroughStreamRules } from '../shared/pass-through-stream.ts';
import { memberValue, stringMember, type JsonObjectScan } from '../shared/json-scan.ts';
import { rewriteBodyBytes, spliceModelAt } from '../shared/raw-json.ts';
import { conversationOpening, stringField } from '../shared/request-facts.ts';
import { openAIChatUsage } from './convert-openai-chat-usage.ts';

export function openAIChatRequestFacts(body: Record<string, unknown>): RequestFacts {
  const options = body.stream_options;
  return {
    model: stringField(body.model),
    stream: body.stream === true,
    user: stringField(body.user),
    includeUsage: isRecord(options) && options.include_usage === true,
    opening: conversationOpening(null, body.messages),
  };
}

/** openAIChatRequestFacts from a scan of the body: the same facts, the body never parsed whole. */
export function openAIChatScannedFacts(raw: Buffer, scan: JsonObjectScan): RequestFacts {
  const options = scan.members.get('stream_options')?.kind === 0x7b ? memberValue(raw, scan, 'stream_options') : undefined;
  return {
    model: stringMember(raw, scan, 'model'),
    stream: scan.members.get('stream')?.kind === 0x74 /* true */,
    user: stringMember(raw, scan, 'user'),
    includeUsage: isRecord(options) && options.include_usage === true,
    // Only sticky routing reads the opening: the messages are parsed then, not before.
    get opening() { return conversationOpening(null, memberValue(raw, scan, 'messages')); },
  };
}

/**
 * The model spliced where the scan found it: every top-level occurrence, so
 * an upstream whose parser keeps the first of duplicate keys sees the
 * upstream name too. Unsure cases go back to rewriteRequest: a model that is
 * not a string, and stream_options to amend rather than add.
 */
function rewriteScanned(raw: Buffer, scan: JsonObjectScan, upstreamModel: string, facts: RequestFacts): Buffer | undefined {
  const last = scan.members.get('model');
  if (!last) return undefined;
  const spans = [...(scan.duplicates?.get('model') ?? []), last];
  if (spans.some((s) => s.kind !== 0x22)) return undefined;
  const addStreamUsage = facts.stream && !facts.includeUsage;
  if (addStreamUsage && scan.members.has('stream_options')) return undefined;
  return spliceModelAt(raw, spans, upstreamModel, addStreamUsage);
}

// Some OpenAI-compatible servers close after the finish chunk without [DONE].
const FINISHED = /"finish_reason"\s*:\s*"/;

export const openAIChatStreamRules: PassThroughStreamRules = {
  usage: openAIChatUsage,
  ends: (event) => FINISHED.test(event.data),
  isError: (event) => event.data.startsWith('{"error"'),
  errorMessage: midStreamErrorMessage,
  // The usage chunk has `choices: []`.
  isUsageOnly: (data) => /"choices"\s*:\s*\[\s*\]/.test(data),
  terminator: '[DONE]',
};

export const openAIChatPassThrough: PassThroughCodec = {
  rewriteRequest: (raw, body, upstreamModel, facts) => rewriteBodyBytes(raw, upstreamModel, facts.stream && !facts.includeUsage, body),
  scannedFacts: openAIChatScannedFacts,
  rewriteScanned,
  replyUsage: openAIChatUsage,
  createStreamScanner: (facts) => new PassThroughStream(openAIChatStreamRules, !facts.includeUsage),
};
