// Ollama sends images as bare base64 (no media type). Providers need the
// type, so it is read from the image's first bytes; anything that is not a
// PNG, JPEG, GIF or WebP is refused, as no provider would take it.

import { FormatError } from '../codec.ts';
import type { ImageSource } from '../ir.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:[^;,]*;base64,/;

export function ollamaImage(value: unknown, where: string): ImageSource {
  if (typeof value !== 'string') throw new FormatError(`${where} must be a base64 string`);
  // Some clients send a data URL although Ollama documents bare base64.
  const data = value.replace(DATA_URL, '').replace(/\s+/g, '');
  if (data === '' || data.length % 4 === 1 || !BASE64.test(data)) throw new FormatError(`${where} is not valid base64`);
  const mediaType = sniffImageType(Buffer.from(data.slice(0, 32), 'base64'));
  if (mediaType === undefined) throw new FormatError(`${where} is not a PNG, JPEG, GIF or WebP image`);
  return { kind: 'base64', mediaType, data };
}

function sniffImageType(head: Buffer): string | undefined {
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}
