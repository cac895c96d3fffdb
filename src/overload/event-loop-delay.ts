// The event loop's recent delay, from Node's own monitor (perf_hooks
// monitorEventLoopDelay: a libuv timer sampled natively, so the measurement
// does not itself queue behind the work it measures, as a JS timer would).
//
// "Recent" is the mean delay of the last completed window. The mean, not the
// max: one 150 ms garbage collection among fifty healthy samples should not
// shed a second of traffic, while a saturated loop delays every sample. A
// window rotates every `windowMs`; while the loop is blocked the rotation
// waits too, and the first rotation after it reports the block. The monitor
// records each interval between its timer's runs, resolution included, so an
// idle loop reads ~0 only after the resolution is taken off. (A reset drops
// the first sample after it; one sample in fifty, and a saturated loop delays
// them all.)

import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelayOptions {
  /** Length of one window in ms (default 500). */
  windowMs?: number;
  /** Sampling resolution of the monitor in ms (default 10, Node's default). */
  resolutionMs?: number;
}

export class EventLoopDelay {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;
  private readonly resolutionMs: number;
  private recent = 0;

  constructor(options: EventLoopDelayOptions = {}) {
    this.resolutionMs = options.resolutionMs ?? 10;
    this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.histogram.enable();
    this.timer = setInterval(() => this.rotate(), options.windowMs ?? 500);
    this.timer.unref();
  }

  /** Mean delay of the last completed window, in ms (0 before the first one). */
  recentMs(): number {
    return this.recent;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private rotate(): void {
    // Nanoseconds; an empty window (no sample yet) has a NaN mean.
    const mean = this.histogram.count > 0 ? this.histogram.mean / 1e6 - this.resolutionMs : 0;
    this.recent = Number.isFinite(mean) ? Math.max(0, mean) : 0;
    this.histogram.reset();
  }
}
