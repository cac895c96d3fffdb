// The config version of a folder: the first 12 hex digits of a SHA-256 over
// the sorted relative paths and the file contents, so it changes exactly when
// the content does (a rename counts). Under git the version is the commit sha.

import { createHash } from 'node:crypto';

export interface VersionedFile {
  /** Path inside the config folder with '/' separators. */
  relativePath: string;
  content: Uint8Array;
}

export function folderVersion(files: readonly VersionedFile[]): string {
  const hash = createHash('sha256');
  const sorted = [...files].sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  for (const f of sorted) {
    // Length-prefixed so no two different folders can hash the same stream.
    hash.update(`${f.relativePath}\0${f.content.byteLength}\0`);
    hash.update(f.content);
  }
  return hash.digest('hex').slice(0, 12);
}
