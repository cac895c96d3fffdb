// Gemini candidate parts -> IR content parts, for replies and stream chunks.
// Thought summaries (`thought: true`) are reasoning. Function calls carry no id
// before Gemini 3, so ids are made from the response id and the call's position:
// the same reply always yields the same ids, and they fit every protocol's id
// alphabet. Parts with no IR form (code execution, generated media) are left out.

import { FormatError } from '../codec.ts';
import type { ContentPart } from '../ir.ts';
import { argumentsText, isRecord } from '../shared/json-reader.ts';

export class GeminiPartReader {
  private calls = 0;
  private readonly idBase: string;

  constructor(responseId: unknown) {
    const base = typeof responseId === 'string' ? responseId.replace(/[^a-zA-Z0-9]/g, '') : '';
    this.idBase = base !== '' ? base.slice(0, 32) : crypto.randomUUID().replaceAll('-', '').slice(0, 24);
  }

  get toolCallCount(): number {
    return this.calls;
  }

  read(parts: unknown): ContentPart[] {
    if (parts === undefined || parts === null) return [];
    if (!Array.isArray(parts)) throw new FormatError('upstream reply has candidate parts that are not an array', 502);
    const out: ContentPart[] = [];
    for (const part of parts) {
      if (!isRecord(part)) continue;
      if (typeof part.text === 'string') {
        if (part.text === '') continue;
        out.push(part.thought === true ? { type: 'reasoning', text: part.text } : { type: 'text', text: part.text });
      } else if (isRecord(part.functionCall)) {
        const call = part.functionCall;
        if (typeof call.name !== 'string') throw new FormatError('upstream reply has a functionCall without a name', 502);
        const given = typeof call.id === 'string' && /^[a-zA-Z0-9_-]+$/.test(call.id) ? call.id : undefined;
        const id = given ?? `call_${this.idBase}_${this.calls}`;
        this.calls++;
        out.push({ type: 'tool_call', id, name: call.name, arguments: argumentsText(call.args) });
      }
    }
    return out;
  }
}
