// The shape of one usage line (spec section 4). The data path fills one per
// authenticated request; the usage log writes it, metrics count it, and
// `switchyard usage` reads it back.

export type RouteName =
  | 'chat_completions' | 'responses' | 'messages' | 'count_tokens' | 'embeddings'
  | 'models' | 'ollama_chat' | 'ollama_generate' | 'ollama_tags';

export type UpstreamOutcome = 'ok' | 'http_3xx' | 'http_4xx' | 'http_5xx' | 'timeout' | 'network' | 'keyword';

export interface AttemptRecord {
  provider: string;
  upstream_model: string;
  /** null when no HTTP answer came (timeout, network). */
  status: number | null;
  outcome: UpstreamOutcome;
  ms: number;
}

export interface UsageLine {
  ts: string;
  request_id: string;
  key: string;
  route: RouteName;
  model: string | null;
  provider: string | null;
  upstream_model: string | null;
  status: number;
  stream: boolean;
  /** Failed attempts only. */
  attempts: AttemptRecord[];
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  overhead_ms: number;
  /** null when the provider reported no usage. */
  cost_usd: number | null;
  config_version: string;
  /** null exactly when the request succeeded. */
  error: string | null;
}
