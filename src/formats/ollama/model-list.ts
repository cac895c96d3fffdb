// GET /api/tags and GET /api/version bodies. Switchyard serves remote models,
// so the file facts Ollama lists (size, quantization, parameter count) are
// unknown: they are left empty or zero rather than invented. The digest is
// a stable hash of the name so clients that key on it see one per model.

import { createHash } from 'node:crypto';

/** The Ollama API level Switchyard speaks: new enough that clients enable
 *  tools, structured outputs and thinking. */
export const OLLAMA_API_VERSION = '0.12.0';

export interface OllamaTag {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: {
    parent_model: string;
    format: string;
    family: string;
    families: string[];
    parameter_size: string;
    quantization_level: string;
  };
}

export function ollamaTagsBody(models: { name: string; modifiedAt?: string }[]): { models: OllamaTag[] } {
  const now = new Date().toISOString();
  return {
    models: models.map((model) => ({
      name: model.name,
      model: model.name,
      modified_at: model.modifiedAt ?? now,
      size: 0,
      digest: createHash('sha256').update(model.name).digest('hex'),
      details: {
        parent_model: '',
        format: 'remote',
        family: 'switchyard',
        families: ['switchyard'],
        parameter_size: '',
        quantization_level: '',
      },
    })),
  };
}

export function ollamaVersionBody(): { version: string } {
  return { version: OLLAMA_API_VERSION };
}
