/**
 * Download speed over the last few seconds, so the number a person sees follows the network now
 * (and recovers after a stall) rather than averaging over the whole download.
 */
export class RateMeter {
  private samples: { at: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs = 3000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the running byte count; returns bytes per second over the window. */
  sample(bytes: number): number {
    const at = this.now();
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0].at > this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (bytes - first.bytes) / seconds) : 0;
  }

  /** Forget history, e.g. when a download restarts from byte 0. */
  reset(): void {
    this.samples = [];
  }
}
