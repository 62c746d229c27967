import Meyda from 'meyda';

/**
 * Meyda is one module-wide object configured by assignment, and it caches its chroma filter bank
 * by band count alone: after a change of sample rate or frame size it would go on using the old
 * bank, so a stale one is dropped here. Meyda runs synchronously, so nothing can reconfigure it
 * between the assignment and the extract.
 */
let chromaBankFor = '';

/**
 * Energy per pitch class (C = 0) of a Hann-windowed frame, scaled so the strongest is 1; all zeros
 * for a silent frame. The frame's length must be a power of two.
 */
export function chroma(frame: Float32Array, sampleRate: number): number[] {
  Meyda.sampleRate = sampleRate;
  Meyda.bufferSize = frame.length;
  Meyda.windowingFunction = 'hanning';
  Meyda.chromaBands = 12;
  if (chromaBankFor !== `${sampleRate}/${frame.length}`) {
    (Meyda as unknown as { chromaFilterBank?: unknown }).chromaFilterBank = undefined;
    chromaBankFor = `${sampleRate}/${frame.length}`;
  }
  return Meyda.extract(['chroma'], frame)!.chroma!;
}
