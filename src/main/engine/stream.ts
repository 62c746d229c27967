/**
 * Streaming preview: decodes a take's audio in chunks while its codes are still being generated.
 * Each chunk re-decodes a few frames of left context (dropped again) and holds back a few frames
 * at its right edge (decoded again by the next chunk), so chunks butt-join: EnCodec's decoder is
 * non-causal (its convolutions see both sides, its LSTM carries state), and the samples near
 * either edge of a decode differ from the same samples inside a longer one. The end of a take is
 * never streamed from a partial decode: the caller decodes the whole take as before and the
 * streamer cuts the rest from that audio, so the last chunk is exact and costs nothing.
 */
import type { PlanarAudio } from './codec';
import type { Codes } from './delay-pattern';

/** A piece of a take's audio while it is being generated. */
export interface AudioChunk {
  /** The take's index in the batch (prompt-major, as `takes`). */
  take: number;
  /** Where this chunk starts in the take's final audio, in samples (context included). */
  startSample: number;
  sampleRate: number;
  /** Planar PCM, one array per channel, all the same length. */
  channels: Float32Array[];
  /** True on the take's last chunk. */
  final: boolean;
}

export interface StreamOptions {
  /** Frames in the first chunk (small, so the preview starts early). */
  firstChunkFrames?: number;
  /** The most frames in a later chunk: chunk sizes double from the first up to this. */
  chunkFrames?: number;
  /** Frames re-decoded before a chunk and dropped. */
  leftContextFrames?: number;
  /** Frames decoded after a chunk and dropped (decoded again by the next). */
  rightContextFrames?: number;
}

export const STREAM_DEFAULTS: Required<StreamOptions> = {
  firstChunkFrames: 25,
  chunkFrames: 100,
  leftContextFrames: 10,
  rightContextFrames: 4,
};

export type DecodeBatch = (batch: Codes[]) => Promise<PlanarAudio[]>;

export class AudioStreamer {
  private readonly codes: Codes[];
  private emitted: number;
  private want: number;
  private readonly options: Required<StreamOptions>;
  /** Decoding time spent on chunks (the cost of streaming). */
  decodeMs = 0;

  /**
   * @param initial per take, the frames the take starts with (a continuation's context): they are
   *   left context, never streamed.
   */
  constructor(
    private readonly decode: DecodeBatch,
    private readonly hopLength: number,
    private readonly sampleRate: number,
    initial: Codes[],
    private readonly onAudio: (chunk: AudioChunk) => void,
    options: StreamOptions = {},
  ) {
    this.options = { ...STREAM_DEFAULTS, ...options };
    this.want = this.options.firstChunkFrames;
    this.codes = initial.map((codes) => codes.map((row) => row.slice()));
    this.emitted = initial[0]?.[0]?.length ?? 0;
  }

  /** Frames every take has so far. */
  get frames(): number {
    return this.codes[0]?.[0]?.length ?? 0;
  }

  /** Appends newly completed frames (per take, [codebook][frame]) and decodes a chunk when enough are there. */
  async push(added: Codes[]): Promise<void> {
    added.forEach((codes, t) => codes.forEach((row, k) => this.codes[t][k].push(...row)));
    const end = this.frames - this.options.rightContextFrames;
    if (end - this.emitted < this.want) return;
    const from = Math.max(0, this.emitted - this.options.leftContextFrames);
    const started = performance.now();
    const audio = await this.decode(this.codes.map((codes) => codes.map((row) => row.slice(from))));
    this.decodeMs += performance.now() - started;
    const hop = this.hopLength;
    audio.forEach((take, t) =>
      this.onAudio({
        take: t,
        startSample: this.emitted * hop,
        sampleRate: this.sampleRate,
        channels: take.channels.map((ch) => ch.slice((this.emitted - from) * hop, (end - from) * hop)),
        final: false,
      }),
    );
    this.emitted = end;
    // Small chunks start the preview early; larger ones later cost fewer re-decoded context frames.
    this.want = Math.min(this.options.chunkFrames, this.want * 2);
  }

  /** Streams what is left from the takes' final (whole) audio. */
  finish(final: PlanarAudio[]): void {
    const start = this.emitted * this.hopLength;
    final.forEach((take, t) =>
      this.onAudio({
        take: t,
        startSample: start,
        sampleRate: take.sampleRate,
        channels: take.channels.map((ch) => ch.slice(Math.min(start, ch.length))),
        final: true,
      }),
    );
    this.emitted = this.frames;
  }
}
