// The model list bodies (GET /v1/models, /v1/models/{id}): one model object
// that both the OpenAI and the Anthropic SDKs read.

export interface ModelInfo {
  id: string;
  /** OpenAI's owned_by. */
  owner: string;
  /** The first member's max_output_tokens, when declared. */
  maxOutputTokens: number | null;
}

const created = Math.floor(Date.UTC(2025, 0, 1) / 1000);
const createdAt = new Date(created * 1000).toISOString();

/**
 * OpenAI's `id`, `object`, `created`, `owned_by` and Anthropic's ModelInfo
 * (`type`, `display_name`, `created_at`, `lifecycle`; the fields a gateway
 * cannot know are null, `max_tokens` is the first member's max_output_tokens).
 */
export function modelEntry(model: ModelInfo): Record<string, unknown> {
  return {
    id: model.id, object: 'model', created, owned_by: model.owner,
    type: 'model', display_name: model.id, created_at: createdAt, lifecycle: 'active',
    capabilities: null, deprecated_at: null, retires_at: null, line: null, max_input_tokens: null,
    max_tokens: model.maxOutputTokens,
  };
}

/** GET /v1/models: OpenAI's list, with the paging fields Anthropic's list has (everything on one page). */
export function modelListBody(models: readonly ModelInfo[]): Record<string, unknown> {
  const data = models.map(modelEntry);
  return { object: 'list', data, has_more: false, first_id: models[0]?.id ?? null, last_id: models.at(-1)?.id ?? null };
}
