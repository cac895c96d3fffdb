// Moving averages of each member's latency and error rate, for the
// least-latency strategy and /status. Exponentially weighted so recent
// behaviour dominates and memory stays constant.

const ALPHA = 0.2;
/** An error counts as this many ms of latency when ranking members. */
const ERROR_PENALTY_MS = 5_000;

interface Stats { latencyMs: number; errorRate: number; samples: number }

export class LatencyTracker {
  private readonly stats = new Map<string, Stats>();

  record(target: string, ms: number, ok: boolean): void {
    const s = this.stats.get(target);
    if (!s) {
      this.stats.set(target, { latencyMs: ms, errorRate: ok ? 0 : 1, samples: 1 });
      return;
    }
    if (ok) s.latencyMs += ALPHA * (ms - s.latencyMs);
    s.errorRate += ALPHA * ((ok ? 0 : 1) - s.errorRate);
    s.samples++;
  }

  /** Ranking score, lower is better; a member never measured scores 0 so it gets tried. */
  score(target: string): number {
    const s = this.stats.get(target);
    if (!s) return 0;
    return s.latencyMs + s.errorRate * ERROR_PENALTY_MS;
  }

  get(target: string): { latencyMs: number; errorRate: number } | undefined {
    const s = this.stats.get(target);
    return s && { latencyMs: s.latencyMs, errorRate: s.errorRate };
  }
}
