// `GET /ui`: one self-contained, read-only HTML page over the /status report.
// No scripts and no external assets (it must work air-gapped and under a
// strict CSP); it refreshes itself every 10 s. Every value is escaped, and
// there are no write actions: changes go through git.

import type { CircuitState, StatusReport } from '../telemetry/status-report.ts';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

const circuitWord: Record<CircuitState, string> = { closed: 'closed', open: 'open', half_open: 'half-open' };

function circuitBadge(state: CircuitState): string {
  return `<span class="badge circuit-${state.replace('_', '-')}">${circuitWord[state] ?? escapeHtml(state)}</span>`;
}

function time(iso: string | null | undefined): string {
  if (!iso) return '<span class="muted">—</span>';
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`;
}

function number(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '<span class="muted">—</span>';
  return escapeHtml(value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
}

function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '<span class="muted">—</span>';
  return `${escapeHtml((rate * 100).toFixed(1))}%`;
}

function lastReload(report: StatusReport): string {
  const r = report.config.last_reload;
  if (!r) return '<span class="muted">no reload since start</span>';
  const head = `${r.ok ? '<span class="badge ok">succeeded</span>' : '<span class="badge failed">failed</span>'} ${time(r.at)} <span class="muted">(${escapeHtml(r.source)})</span>`;
  if (r.ok || r.errors.length === 0) return head;
  const shown = r.errors.slice(0, 20).map((e) => `<li><code>${escapeHtml(e)}</code></li>`).join('');
  const more = r.errors.length > 20 ? `<li class="muted">… ${r.errors.length - 20} more</li>` : '';
  return `${head}<ul class="errors">${shown}${more}</ul><p class="muted">The previous config keeps serving.</p>`;
}

/** Why the serving config is not the newest: a rejected version, an unreachable source, an older commit at start. */
function staleness(report: StatusReport): string {
  const c = report.config;
  const parts: string[] = [];
  if (c.sync_error) parts.push(`<p><span class="badge failed">source unreachable</span> since ${time(c.sync_error.at)}: <code>${escapeHtml(c.sync_error.message)}</code></p>`);
  if (c.rejected) {
    const version = c.rejected.version ? ` <code>${escapeHtml(c.rejected.version.slice(0, 12))}</code>` : '';
    parts.push(`<p><span class="badge failed">newest version rejected</span>${version} at ${time(c.rejected.at)}; the config above keeps serving.</p>`);
  }
  if (c.fallback) parts.push(`<p class="muted">The branch head <code>${escapeHtml(c.fallback.head.slice(0, 12))}</code> was invalid at start; serving <code>${escapeHtml(c.fallback.served.slice(0, 12))}</code>, the newest valid commit behind it.</p>`);
  return parts.join('\n');
}

function membersTable(report: StatusReport): string {
  if (report.members.length === 0) return '<p class="muted">No members.</p>';
  const rows = report.members
    .map(
      (m) => `<tr class="member${m.circuit === 'open' ? ' is-open' : ''}">
  <td><code>${escapeHtml(m.target)}</code></td>
  <td>${circuitBadge(m.circuit)}</td>
  <td>${m.circuit === 'closed' ? '<span class="muted">—</span>' : time(m.open_until)}</td>
  <td class="num">${m.recent_latency_ms === null ? '<span class="muted">—</span>' : `${number(m.recent_latency_ms)} ms`}</td>
  <td class="num">${percent(m.recent_error_rate)}</td>
</tr>`,
    )
    .join('\n');
  return `<table>
<thead><tr><th>member</th><th>circuit</th><th>trial after</th><th class="num">recent latency</th><th class="num">recent errors</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function providersTable(report: StatusReport): string {
  if (report.providers.length === 0) return '<p class="muted">No providers.</p>';
  const rows = report.providers
    .map((p) => {
      const creds =
        p.credentials.length === 0
          ? '<span class="muted">none</span>'
          : p.credentials
              .map((c) =>
                c.cooling_down_until
                  ? `<span class="cred cooling">#${escapeHtml(c.index)} cooling down until ${time(c.cooling_down_until)}</span>`
                  : `<span class="cred">#${escapeHtml(c.index)} ready</span>`,
              )
              .join(' ');
      return `<tr>
  <td><strong>${escapeHtml(p.name)}</strong></td>
  <td>${escapeHtml(p.type)}</td>
  <td><code>${p.base_url ? escapeHtml(p.base_url) : '<span class="muted">built in</span>'}</code></td>
  <td>${p.models.map((m) => `<code>${escapeHtml(m)}</code>`).join(', ')}</td>
  <td>${creds}</td>
</tr>`;
    })
    .join('\n');
  return `<table>
<thead><tr><th>provider</th><th>type</th><th>base URL</th><th>models</th><th>credentials</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function groupsTable(report: StatusReport): string {
  if (report.groups.length === 0) return '<p class="muted">No groups.</p>';
  const circuits = new Map(report.members.map((m) => [m.target, m.circuit]));
  const rows = report.groups
    .map((g) => {
      const members = g.members
        .map((m) => {
          const state = circuits.get(m.target);
          return `<li><code>${escapeHtml(m.target)}</code> <span class="muted">priority ${escapeHtml(m.priority)}, weight ${escapeHtml(m.weight)}</span>${state && state !== 'closed' ? ' ' + circuitBadge(state) : ''}</li>`;
        })
        .join('');
      return `<tr>
  <td><strong>${escapeHtml(g.name)}</strong></td>
  <td>${escapeHtml(g.strategy)}</td>
  <td>${escapeHtml(g.policy)}</td>
  <td><ul class="plain">${members}</ul></td>
</tr>`;
    })
    .join('\n');
  return `<table>
<thead><tr><th>group</th><th>strategy</th><th>policy</th><th>members</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

const styles = `
:root { color-scheme: light; --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f7f8fa; --card:#fff;
  --ok:#15803d; --ok-bg:#dcfce7; --bad:#b91c1c; --bad-bg:#fee2e2; --warn:#92400e; --warn-bg:#fef3c7; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { background:#111827; color:#f9fafb; padding:14px 24px; display:flex; gap:24px; align-items:baseline; flex-wrap:wrap; }
header h1 { font-size:18px; margin:0; }
header .meta { color:#d1d5db; }
header code { color:#fff; }
main { padding:16px 24px; display:grid; gap:16px; max-width:1400px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
h2 { font-size:15px; margin:0 0 8px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code { font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
.muted { color:var(--muted); }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-weight:600; font-size:12px; }
.circuit-closed, .ok { color:var(--ok); background:var(--ok-bg); }
.circuit-open, .failed { color:var(--bad); background:var(--bad-bg); }
.circuit-half-open { color:var(--warn); background:var(--warn-bg); }
tr.is-open td { background:#fff5f5; }
.cred { display:inline-block; margin:0 6px 2px 0; padding:0 6px; border:1px solid var(--line); border-radius:4px; }
.cred.cooling { color:var(--warn); background:var(--warn-bg); border-color:#fcd34d; }
.totals { display:flex; gap:32px; flex-wrap:wrap; }
.totals div { min-width:110px; }
.totals .value { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.totals .label { color:var(--muted); font-size:12px; text-transform:uppercase; }
ul.plain { list-style:none; margin:0; padding:0; }
ul.errors { margin:6px 0; padding-left:18px; color:var(--bad); }
footer { padding:0 24px 16px; color:var(--muted); font-size:12px; }
`;

/** The whole /ui page for one status report. */
export function renderStatusPage(report: StatusReport): string {
  const c = report.config;
  const t = report.today;
  const openCount = report.members.filter((m) => m.circuit === 'open').length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>Switchyard status${openCount > 0 ? ` (${openCount} open)` : ''}</title>
<style>${styles}</style>
</head>
<body>
<header>
  <h1>Switchyard</h1>
  <span class="meta">config <code>${escapeHtml(c.version)}</code> from ${escapeHtml(c.source)} <code>${escapeHtml(c.origin)}</code></span>
  <span class="meta">loaded ${time(c.loaded_at)}</span>
</header>
<main>
<section id="config">
  <h2>Last reload</h2>
  ${staleness(report)}
  ${lastReload(report)}
</section>
<section id="today">
  <h2>Today (${escapeHtml(t.date)} UTC)</h2>
  <div class="totals">
    <div><div class="value">${number(t.requests)}</div><div class="label">requests</div></div>
    <div><div class="value">${number(t.errors)}</div><div class="label">errors</div></div>
    <div><div class="value">${number(t.input_tokens)}</div><div class="label">input tokens</div></div>
    <div><div class="value">${number(t.output_tokens)}</div><div class="label">output tokens</div></div>
    <div><div class="value">$${number(t.cost_usd, 4)}</div><div class="label">cost (USD)</div></div>
  </div>
</section>
<section id="members">
  <h2>Members${openCount > 0 ? ` <span class="badge circuit-open">${openCount} open</span>` : ''}</h2>
  ${membersTable(report)}
</section>
<section id="groups">
  <h2>Groups</h2>
  ${groupsTable(report)}
</section>
<section id="providers">
  <h2>Providers and credentials</h2>
  ${providersTable(report)}
</section>
</main>
<footer>Read-only. Routing changes go through the config repository. Generated ${time(report.generated_at)}; refreshes every 10 s. JSON: <a href="status">/status</a>.</footer>
</body>
</html>
`;
}
