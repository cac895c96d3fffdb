// Long work on the serving thread (decoding and compiling a reloaded config)
// is cut into slices of a few milliseconds; between slices, pending I/O runs,
// so a big reload never holds requests or /healthz for longer than one slice.
//
//   if (slicer.due()) await slicer.next();
//
// `due()` only reads the clock, so checking after every entry is cheap, and
// work that is short anyway never waits at all.

import { performance } from 'node:perf_hooks';

/** How long one slice may run by default; long enough that yielding costs little, short enough not to be noticed. */
export const defaultSliceMs = 4;

export class TimeSlicer {
  readonly sliceMs: number;
  #sliceStart = performance.now();

  constructor(sliceMs = defaultSliceMs) {
    this.sliceMs = sliceMs;
  }

  /** True once the current slice has run for `sliceMs`. */
  due(): boolean {
    return performance.now() - this.#sliceStart >= this.sliceMs;
  }

  /** Lets timers and I/O run (setImmediate comes after the poll phase), then starts a new slice. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#sliceStart = performance.now();
  }
}
