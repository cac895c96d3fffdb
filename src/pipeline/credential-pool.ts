// Rotates a provider's credentials and cools down the ones upstream refused
// (401/403/429). Credentials are addressed by index so nothing outside this
// module and the transport ever holds the secret itself.

import type { Clock } from './circuit-breaker.ts';

export class CredentialPools {
  private readonly clock: Clock;
  private readonly next = new Map<string, number>();
  /** provider -> index -> cooled down until (epoch ms). */
  private readonly cooldowns = new Map<string, Map<number, number>>();

  constructor(clock: Clock = Date.now) {
    this.clock = clock;
  }

  /** Index of the next usable credential of `provider` (round-robin), or -1 when all are cooling down. */
  pick(provider: string, count: number, now = this.clock()): number {
    if (count === 0) return -1;
    const start = this.next.get(provider) ?? 0;
    const cooling = this.cooldowns.get(provider);
    for (let i = 0; i < count; i++) {
      const index = (start + i) % count;
      const until = cooling?.get(index);
      if (until === undefined || until <= now) {
        this.next.set(provider, (index + 1) % count);
        return index;
      }
    }
    return -1;
  }

  coolDown(provider: string, index: number, ms: number, now = this.clock()): void {
    let cooling = this.cooldowns.get(provider);
    if (!cooling) {
      cooling = new Map();
      this.cooldowns.set(provider, cooling);
    }
    cooling.set(index, now + ms);
  }

  /** Cool-downs still running, for /status: index -> until. */
  coolingDown(provider: string, now = this.clock()): Map<number, number> {
    const out = new Map<number, number>();
    for (const [index, until] of this.cooldowns.get(provider) ?? []) if (until > now) out.set(index, until);
    return out;
  }
}
