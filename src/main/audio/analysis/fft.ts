/**
 * Power spectra of Hann-windowed frames by an iterative radix-2 FFT with cached tables. Seam
 * scoring takes hundreds of short spectra per loop search; Meyda's FFT (fftjs, recursive, a new
 * complex array per stage) takes ~0.6 ms a 4096-point frame, this about a tenth of that.
 */
interface Tables {
  window: Float64Array;
  cos: Float64Array;
  sin: Float64Array;
  reversed: Uint32Array;
  re: Float64Array;
  im: Float64Array;
}

const tables = new Map<number, Tables>();

function tablesFor(size: number): Tables {
  let t = tables.get(size);
  if (!t) {
    if (!Number.isInteger(Math.log2(size))) throw new RangeError(`FFT size ${size} is not a power of two.`);
    const bits = Math.log2(size);
    t = {
      window: new Float64Array(size).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size)),
      cos: new Float64Array(size / 2).map((_, i) => Math.cos((2 * Math.PI * i) / size)),
      sin: new Float64Array(size / 2).map((_, i) => -Math.sin((2 * Math.PI * i) / size)),
      reversed: new Uint32Array(size).map((_, i) => {
        let r = 0;
        for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
        return r;
      }),
      re: new Float64Array(size),
      im: new Float64Array(size),
    };
    tables.set(size, t);
  }
  return t;
}

/** |X[k]|² for bins 0 .. n/2 - 1 of the Hann-windowed frame, added into `into`. */
export function addPowerSpectrum(frame: Float32Array, into: Float64Array): void {
  const size = frame.length;
  const { window, cos, sin, reversed, re, im } = tablesFor(size);
  for (let i = 0; i < size; i++) {
    re[reversed[i]] = frame[i] * window[i];
    im[i] = 0;
  }
  for (let half = 1; half < size; half *= 2) {
    const step = size / (2 * half);
    for (let start = 0; start < size; start += 2 * half) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const wr = cos[k * step];
        const wi = sin[k * step];
        const tr = wr * re[b] - wi * im[b];
        const ti = wr * im[b] + wi * re[b];
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
  for (let k = 0; k < size / 2; k++) into[k] += re[k] * re[k] + im[k] * im[k];
}
