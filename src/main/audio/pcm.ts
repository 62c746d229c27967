/**
 * The single float <-> integer sample convention shared by the WAV and FLAC codecs.
 *
 * Encoding multiplies by the largest positive integer (32767 for 16 bit) and decoding divides by
 * the same number, so decode -> encode gives back the very same integers: re-saving an imported
 * or stored take never drifts. The price is that the most negative integer (-32768) decodes to
 * slightly below -1, which is harmless for float processing.
 */

/** Largest positive integer of a signed `bits`-bit sample: the value +1.0 maps to. */
export function fullScale(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/**
 * Clamp to [-1, 1] and round to the nearest integer step. Math.round is deterministic across
 * platforms, so the same float input always gives byte-identical files. NaN becomes silence.
 */
export function quantize(sample: number, scale: number): number {
  if (sample !== sample) return 0;
  const clamped = sample > 1 ? 1 : sample < -1 ? -1 : sample;
  return Math.round(clamped * scale);
}
