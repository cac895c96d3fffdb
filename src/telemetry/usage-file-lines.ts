// Streams the lines of one usage file from a byte offset, in large reads and
// with a bounded buffer: the usage report and budget recovery read months of
// lines through here. Lines end at "\n" (a "\r" before it is dropped, as
// readline does); a line longer than `maxLineBytes` is passed on as `tooLong`
// rather than held in memory, since no line the gateway writes comes near it.

import { promises as fs } from 'node:fs';

export interface ReadLinesOptions {
  /** Byte offset to start at; must be the start of a line. */
  start?: number;
  /**
   * Also hand over the text after the last "\n" at end of file. Yes for a
   * report or a recovery before serving; no while the file may be mid-append.
   */
  includeUnterminated?: boolean;
  /** Default 1 MiB. */
  chunkBytes?: number;
  /** Default 16 MiB. */
  maxLineBytes?: number;
}

export interface LineSink {
  /** One line (without its "\n"); `tooLong` lines come as the empty string. */
  (text: string, tooLong: boolean): void;
}

/** Reads `file` from `start`, calling `onLine` per line; resolves to the byte offset after the last line handed over. */
export async function readLines(file: string, onLine: LineSink, options: ReadLinesOptions = {}): Promise<number> {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const maxLineBytes = options.maxLineBytes ?? 16 << 20;
  const handle = await fs.open(file, 'r');
  try {
    let position = options.start ?? 0;
    /** Offset in the file just after the last line handed over. */
    let consumed = position;
    let buffer = Buffer.allocUnsafe(chunkBytes);
    /** Bytes of buffer holding the start of a line not ended yet. */
    let carried = 0;
    /** Skipping the rest of a line already reported too long. */
    let skipping = false;
    for (;;) {
      if (carried === buffer.length) {
        // One line fills the buffer: grow up to the bound, then give it up.
        if (buffer.length * 2 <= maxLineBytes) {
          const bigger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(bigger, 0, 0, carried);
          buffer = bigger;
        } else {
          onLine('', true);
          skipping = true;
          carried = 0;
        }
      }
      const { bytesRead } = await handle.read(buffer, carried, buffer.length - carried, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const filled = carried + bytesRead;
      const lastNewline = buffer.lastIndexOf(0x0a, filled - 1);
      if (lastNewline < 0) {
        if (skipping) carried = 0;
        else carried = filled;
        continue;
      }
      let text = buffer.toString('utf8', 0, lastNewline);
      if (skipping) {
        // The too-long line ends at the first newline of this read.
        const first = text.indexOf('\n');
        text = first < 0 ? '' : text.slice(first + 1);
        skipping = false;
        if (first < 0) {
          consumed = position - (filled - lastNewline - 1);
          buffer.copy(buffer, 0, lastNewline + 1, filled);
          carried = filled - lastNewline - 1;
          continue;
        }
      }
      emitLines(text, onLine);
      consumed = position - (filled - lastNewline - 1);
      buffer.copy(buffer, 0, lastNewline + 1, filled);
      carried = filled - lastNewline - 1;
    }
    if (options.includeUnterminated && carried > 0 && !skipping) {
      emitLines(buffer.toString('utf8', 0, carried), onLine);
      consumed += carried;
    }
    return consumed;
  } finally {
    await handle.close();
  }
}

/** Hands over every line of `text` (which holds whole lines, the last without its "\n"). */
function emitLines(text: string, onLine: LineSink): void {
  let from = 0;
  for (;;) {
    const nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    onLine(end > from && text.charCodeAt(end - 1) === 13 ? text.slice(from, end - 1) : text.slice(from, end), false);
    if (nl < 0) return;
    from = nl + 1;
  }
}
