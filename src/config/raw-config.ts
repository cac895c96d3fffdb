// The shape of the YAML as written (snake_case, everything optional as the
// schema allows), mirroring schemas/gateway.schema.json. Only data that passed
// the schema is read through these types; compile.ts turns it into a Snapshot.

import type { ProviderType, Strategy } from './snapshot.ts';

export interface RawSettings {
  listen?: { host?: string; port?: number };
  usage?: { dir?: string; enabled?: boolean; flush_ms?: number };
  metrics?: { key_label?: boolean };
  cors?: { origins?: string[]; max_age_s?: number };
  body_limit?: number | string;
  timeouts?: { request_headers_ms?: number; request_body_ms?: number };
  upstream?: { max_reply_bytes?: number | string; max_event_bytes?: number | string };
  limits?: { store?: 'memory' | 'redis'; redis_url?: string; on_redis_error?: 'allow' | 'deny' };
  overload?: { max_in_flight?: number; max_event_loop_delay_ms?: number };
  tracing?: { capture_content?: boolean; sample_ratio?: number };
  shutdown?: { drain_ms?: number };
  log?: { level?: 'debug' | 'info' | 'warn' | 'error'; requests?: boolean };
}

export interface RawModel {
  input?: number;
  output?: number;
  cached_input?: number;
  cache_write_input?: number;
  upstream?: string;
  deployment?: string;
  reasoning?: boolean;
  max_output_tokens?: number;
  latency_ms?: number;
  chunk_delay_ms?: number;
  reply?: string;
}

export interface RawProvider {
  type: ProviderType;
  base_url?: string;
  api_version?: string;
  api_keys?: string[];
  headers?: Record<string, string>;
  drop_betas?: string[];
  /** A model without settings is written `name: {}` or `name:` (null). */
  models: Record<string, RawModel | null>;
}

export interface RawMember {
  target: string;
  priority?: number;
  weight?: number;
}

export interface RawGroup {
  strategy?: Strategy;
  policy?: string;
  description?: string;
  members: RawMember[];
}

export interface RawPolicy {
  retry_on?: (number | 'timeout' | 'network')[];
  max_attempts?: number;
  backoff?: { initial_ms?: number; max_ms?: number };
  timeout?: { connect_ms?: number; first_byte_ms?: number; idle_ms?: number };
  circuit_breaker?: { failures?: number; window_s?: number; cooldown_s?: number };
  failure_keywords?: string[];
}

export interface RawKey {
  sha256: string;
  models: string[];
  disabled?: boolean;
  admin?: boolean;
  expires?: string;
  limits?: { rpm?: number; tpm?: number; concurrency?: number; budget_usd?: number; budget_period?: 'day' | 'week' | 'month' };
  metadata?: Record<string, string | number | boolean>;
}

export const sectionNames = ['providers', 'groups', 'policies', 'keys'] as const;
export type SectionName = (typeof sectionNames)[number];
