// Helpers shared by the limit tests: client keys with given limits, and the
// stores under test (memory, and a real redis-server when installed).

import type { ClientKey, KeyLimits } from '../../src/config/snapshot.ts';
import type { Admission, Admitted, Refused } from '../../src/limits/limiter.ts';
import { expect } from 'chai';

export function clientKey(name: string, limits: Partial<KeyLimits>): ClientKey {
  return {
    name,
    sha256: 'a'.repeat(64),
    disabled: false,
    admin: false,
    allowedRoutes: new Set(['*']),
    limits: { budgetPeriod: 'month', ...limits },
    metadata: {},
  };
}

/** Sunday 2026-11-22 12:00:00 UTC, on a whole second. */
export const T = Date.UTC(2026, 10, 22, 12, 0, 0);

export function admitted(admission: Admission): Admitted {
  if (!admission.ok) expect.fail(`expected an admission, got a refusal: ${admission.limit} (${admission.message})`);
  return admission;
}

export function refused(admission: Admission): Refused {
  if (admission.ok) expect.fail('expected a refusal, got an admission');
  if (admission.status !== 429) expect.fail(`expected a 429 refusal, got ${admission.status} (${admission.message})`);
  return admission;
}

/** Waits for a condition (bounded by mocha's timeout; polls an event, not a wall-clock threshold). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
