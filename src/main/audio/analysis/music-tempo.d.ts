/** The part of music-tempo (Simon Dixon's BeatRoot in JS; ships no types) that Continuo uses. */
declare module 'music-tempo' {
  export interface MusicTempoOptions {
    /** FFT size of the onset detector; a power of two. */
    bufferSize?: number;
    /** Samples between onset-detector frames. */
    hopSize?: number;
    /** Seconds per onset-detector frame; must equal hopSize / sample rate (the library assumes 441 / 44100). */
    timeStep?: number;
    /** Shortest and longest beat the agents may track, in seconds (defaults 0.3 and 1). */
    minBeatInterval?: number;
    maxBeatInterval?: number;
    [parameter: string]: number | undefined;
  }

  export default class MusicTempo {
    /** Throws a string (not an Error) when it finds too few onsets or no beat. */
    constructor(samples: Float32Array | number[], options?: MusicTempoOptions);
    /** Beats per minute, as a string with three decimals. */
    readonly tempo: string;
    readonly beatInterval: number;
    /** Beat times in seconds, gaps between tracked beats filled in. */
    readonly beats: number[];
    /** Onset times in seconds. */
    readonly events: number[];
    /** The onset detection function, one value per frame, normalised to mean 0 and deviation 1. */
    readonly spectralFlux: number[];
  }
}
