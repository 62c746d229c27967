/**
 * MusicGen's delay pattern. The decoder sequence starts with one start token; at decoder position
 * p, codebook k carries audio frame p - 1 - k, so codebook k lags k steps behind codebook 0.
 * Positions before a codebook's first frame hold the pad token.
 */
export type Codes = number[][];

export function frameAt(position: number, codebook: number): number {
  return position - 1 - codebook;
}

/** Decoder positions fed before the first sampled step: the start token and one per context frame. */
export function promptPositions(contextFrames: number): number {
  return contextFrames + 1;
}

/** Frames (context included) the sequence yields once the delay is removed. */
export function outputFrames(contextFrames: number, maxNewTokens: number, codebooks: number): number {
  return contextFrames + maxNewTokens + 1 - codebooks;
}

/**
 * The token a position must hold regardless of sampling (pad before the codebook starts, the
 * context's code inside the context), or -1 where the model chooses.
 */
export function forcedToken(context: Codes | undefined, codebook: number, position: number, pad: number): number {
  const frame = frameAt(position, codebook);
  if (frame < 0) return pad;
  const known = context?.[codebook];
  return known && frame < known.length ? known[frame] : -1;
}

/** Undoes the delay: codes[k][f] = sequence of codebook k at position f + 1 + k. */
export function revertDelay(sequence: Int32Array[], frames: number): Codes {
  return sequence.map((row, k) => Array.from(row.subarray(1 + k, 1 + k + frames)));
}
