// Reads SSE text (as written on the wire) back into events, for assertions.

export interface SseEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

export function parseSse(text: string): SseEvent[] {
  return text.split('\n\n').filter((block) => block.trim() !== '').map((block) => {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice('event: '.length);
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
    }
    return { event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
  });
}
