// Reads SSE text (as written on the wire) back into events with parsed data.

import { parseSse as parseWire } from '../../../src/formats/sse.ts';

export interface SseEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

export function parseSse(text: string): SseEvent[] {
  return parseWire(text).map((wire) => ({ event: wire.event, data: JSON.parse(wire.data) as Record<string, unknown> }));
}
