/**
 * The arithmetic of the streaming preview, apart from Web Audio so it can be tested: when each
 * chunk starts (back to back, or after a short gap when generation falls behind playback) and the
 * growing peaks of what has arrived.
 */

/** Seconds of audio queued ahead before the first chunk plays, and after an underrun. */
export const PREVIEW_LEAD_SECONDS = 0.15;

export class PreviewClock {
  /** Context time where the next chunk starts; -1 before the first. */
  private next = -1;

  /**
   * When a chunk of `seconds` that arrives at context time `now` plays: right after the previous
   * one, or — when it arrives too late for that (generation slower than real time) — a short lead
   * from now, so it never starts in the past.
   */
  schedule(now: number, seconds: number): number {
    const start = this.next < now + 0.01 ? now + PREVIEW_LEAD_SECONDS : this.next;
    this.next = start + seconds;
    return start;
  }

  /** Context time the last scheduled chunk ends. */
  get end(): number {
    return Math.max(0, this.next);
  }
}

/** Peak (max |sample| over channels) per `bucket` samples, as wavesurfer draws them. */
export class GrowingPeaks {
  readonly peaks: number[] = [];
  private carry = 0;
  private filled = 0;

  constructor(readonly bucket: number) {}

  /** Adds a chunk that starts where the previous one ended. */
  append(channels: Float32Array[]): void {
    const length = channels[0]?.length ?? 0;
    for (let i = 0; i < length; i++) {
      let v = 0;
      for (const ch of channels) v = Math.max(v, Math.abs(ch[i]));
      this.carry = Math.max(this.carry, v);
      if (++this.filled === this.bucket) {
        this.peaks.push(this.carry);
        this.carry = 0;
        this.filled = 0;
      }
    }
  }
}
