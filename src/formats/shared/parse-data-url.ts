// `data:` URLs carry inline images in OpenAI's image_url parts; protocols with a
// base64 image type (Anthropic, Gemini, Ollama) want the media type and payload apart.

export interface DataUrl {
  mediaType: string;
  data: string;
}

/** The parts of a base64 `data:` URL, or undefined for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*?);base64,(.*)$/is.exec(url);
  if (!match) return undefined;
  const mediaType = match[1] === '' ? 'application/octet-stream' : match[1]!.toLowerCase();
  return { mediaType, data: match[3]!.trim() };
}

export function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}
