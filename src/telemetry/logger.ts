// One JSON line per log event on stderr. Redaction lives here, at the one exit
// every log line takes: the config's exact credential values, query-string
// keys and bearer tokens are scrubbed from any string field, so a careless
// call site cannot leak a secret.

import { noCredentials, type CredentialRedactor } from './credential-redactor.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = rank[(process.env.SWITCHYARD_LOG_LEVEL as Level) ?? 'info'] ?? rank.info;

export function setLogLevel(level: Level): void {
  if (!process.env.SWITCHYARD_LOG_LEVEL) threshold = rank[level];
}

const secretPatterns: [RegExp, string][] = [
  [/([?&](?:key|api_key|api-key|token|access_token)=)[^&\s"]*/gi, '$1[redacted]'],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-[redacted]'],
  [/(\/ollama\/)[^/\s"]+/g, '$1[redacted]'],
  // Userinfo of any scheme's URL (https://user:pass@, redis://:pass@, https://TOKEN@):
  // the whole part before '@' goes, since a bare user name is often a token.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s"'?#]*@/gi, '$1[redacted]@'],
];

/** The exact credential values of every config this process served (see gateway.ts). */
let credentials: CredentialRedactor = noCredentials;

/** Makes the logger scrub these exact values too, whatever they look like. */
export function redactCredentialsInLogs(redactor: CredentialRedactor): void {
  credentials = redactor;
}

/** Scrubs known credentials and anything that looks like one from a string. */
export function redact(text: string): string {
  let out = credentials.empty ? text : credentials.redact(text);
  for (const [pattern, replacement] of secretPatterns) out = out.replace(pattern, replacement);
  return out;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (rank[level] < threshold) return;
  const line: Record<string, unknown> = { ts: new Date().toISOString(), level, msg };
  if (fields) for (const [k, v] of Object.entries(fields)) line[k] = v instanceof Error ? v.message : v;
  process.stderr.write(redact(JSON.stringify(line)) + '\n');
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
