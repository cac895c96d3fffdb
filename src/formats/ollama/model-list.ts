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

/**
 * POST /api/show: what IDE tools (JetBrains AI Assistant, LangFlow) read
 * after /api/tags to decide what a model can do (Ollama API, "Show Model
 * Information"). Remote models have no modelfile, template or weights, so
 * those are empty; `capabilities` says what the gateway can serve through it.
 */
export function ollamaShowBody(name: string, options: { reasoning: boolean; contextLength?: number }): Record<string, unknown> {
  const tag = ollamaTagsBody([{ name }]).models[0]!;
  return {
    modelfile: '',
    parameters: '',
    template: '',
    details: tag.details,
    model_info: {
      'general.architecture': 'switchyard',
      'general.basename': name,
      ...(options.contextLength !== undefined ? { 'switchyard.context_length': options.contextLength } : {}),
    },
    capabilities: ['completion', 'tools', 'vision', ...(options.reasoning ? ['thinking'] : [])],
    modified_at: tag.modified_at,
  };
}

/** GET /api/ps: a remote model is always "loaded", so every model of the key is listed, never expiring. */
export function ollamaPsBody(names: string[]): { models: Record<string, unknown>[] } {
  return {
    models: ollamaTagsBody(names.map((name) => ({ name }))).models.map((tag) => ({
      name: tag.name, model: tag.model, size: 0, digest: tag.digest, details: tag.details,
      expires_at: '2999-12-31T23:59:59Z', size_vram: 0,
    })),
  };
}

export function ollamaVersionBody(): { version: string } {
  return { version: OLLAMA_API_VERSION };
}
