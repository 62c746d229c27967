/**
 * Checks a split decoder against the decoder as exported (the merged file, or the unmerged pair)
 * on a short deterministic probe before the engine trusts it: two samples, three positions as one
 * prefill, then two cached steps; the split runner folds its recent block after two positions, so
 * every part of the two-block cache is exercised.
 *
 * Like is compared with like. Quantized decoders compute one activation scale per tensor at run
 * time (DynamicQuantizeLinear), so a three-position prefill quantizes differently from three
 * single-position runs: the same decoder gives different logits the two ways, and comparing a
 * split fed position by position with the export fed all at once refused every q8 file. So:
 *
 * - single positions: the split, fed the prefill position by position, against the export fed
 *   the same way — this decides whether the split is used;
 * - the prefill at once: the split against the export fed at once — this decides whether a
 *   context is fed at once (else position by position, which the first comparison vouched for).
 *
 * The tolerance is 1e-3 of the logits' scale. A quantized decoder amplifies the rounding of a
 * reordered float sum (the two-block cache adds the attention of two blocks) into a different
 * rounding of an activation, so for it the tolerance is at least what the export itself moves
 * between its two ways of running the prefill: a split that differs from the export by less than
 * the export differs from itself is as good as the export. (At musicgen-small's dimensions a q8
 * two-block step differs by ~0.1 in the logits, as much as the export's own prefill difference,
 * and greedy codes part from the export's after a few frames; the plain split is bit-exact. That
 * acceptance is said in the note.)
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from './config';
import { stepByPosition, type StepRunner } from './decoder-runner';
import { float32ToFloat16 } from './float16';

const TOLERANCE = 1e-3;

export interface ProbeVerdict {
  valid: boolean;
  /** Whether a context may be fed as one multi-position prefill. */
  multiTokenPrefill: boolean;
  /** The largest difference between the split's logits and the export's, where it was decided. */
  maxDifference: number;
  /** The largest difference accepted. */
  tolerance: number;
  /** Why the split was refused, or why a context is fed position by position. */
  reason?: string;
}

/** Deterministic pseudo-random values for the probe. */
function probeValues(count: number, seed: number, scale: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: count }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x / 2 ** 32 - 0.5) * scale;
  });
}

function maxAbsDifference(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  for (const [i, x] of a.entries()) {
    const y = b[i];
    if (x.length !== y.length) return Infinity;
    for (let j = 0; j < x.length; j++) {
      const d = Math.abs(x[j] - y[j]);
      // NaN counts as a mismatch.
      max = d > max || Number.isNaN(d) ? (Number.isNaN(d) ? Infinity : d) : max;
    }
  }
  return max;
}

/** A difference as a note shows it: three significant digits. */
const shown = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : String(x));

const short = (error: unknown) => String((error as Error)?.message ?? error).split('\n')[0];

/**
 * Probes `candidate` (a split runner; `multiTokenPrefill` says how it takes a prefill) against
 * `reference` (the export). `quantized`: the decoder quantizes its activations at run time.
 */
export async function probeSplit(
  reference: StepRunner,
  candidate: (multiTokenPrefill: boolean) => StepRunner,
  spec: ModelSpec,
  textDim: number,
  quantized: boolean,
): Promise<ProbeVerdict> {
  // Two samples with different text masks, so that batch-dependent paths are exercised too.
  const B = 2;
  const rows = B * spec.codebooks;
  const T = 5;
  const values = probeValues(B * T * textDim, 7, 2);
  const states =
    reference.encoderStateType === 'float16'
      ? new ort.Tensor('float16', float32ToFloat16(values), [B, T, textDim])
      : new ort.Tensor('float32', values, [B, T, textDim]);
  const mask = new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n, 0n, 1n, 1n, 0n, 0n, 0n]), [B, T]);
  const ids = (length: number, offset = 0) =>
    BigInt64Array.from({ length: rows * length }, (_, i) => BigInt((i * 37 + offset * 11 + 5) % spec.codebookSize));
  const steps: [BigInt64Array, number][] = [
    [ids(3), 3],
    [ids(1, 9), 1],
    [ids(1, 4), 1],
  ];
  /**
   * The logits of each step, the prefill at once; or, `byPosition`, of every position, the
   * prefill's one at a time (the first position's logits are the first step of a generation
   * without context, so they must be compared too).
   */
  const run = async (runner: StepRunner, byPosition: boolean) => {
    await runner.begin(states, mask, B);
    const logits: Float32Array[] = [];
    const step = async (input: BigInt64Array, length: number, first: boolean) =>
      logits.push((await runner.step(input, rows, length, first)).logits.slice());
    try {
      for (const [i, [input, length]] of steps.entries()) {
        if (!byPosition) {
          await step(input, length, i === 0);
          continue;
        }
        await stepByPosition(
          (column, r, l, first) => step(column, l, first).then(() => ({ logits: new Float32Array(0), runMs: 0 })),
          input,
          rows,
          length,
          i === 0,
        );
      }
    } finally {
      runner.end();
    }
    return logits;
  };
  /** Positions of the by-position run that the at-once run returns logits for. */
  const lastOfEachStep = (all: Float32Array[]) =>
    steps.map((_, i) => all[steps.slice(0, i + 1).reduce((n, [, length]) => n + length, 0) - 1]);

  const byPosition = await run(reference, true);
  const atOnce = await run(reference, false);
  const scale = byPosition.reduce((max, l) => l.reduce((m, x) => Math.max(m, Math.abs(x)), max), 1);
  const own = maxAbsDifference(atOnce, lastOfEachStep(byPosition));
  const tolerance = Math.max(TOLERANCE * scale, quantized && Number.isFinite(own) ? own : 0);

  let stepwise: number;
  try {
    stepwise = maxAbsDifference(byPosition, await run(candidate(false), true));
  } catch (error) {
    return {
      valid: false,
      multiTokenPrefill: false,
      maxDifference: Infinity,
      tolerance,
      reason: `the split decoder failed on the probe (${short(error)})`,
    };
  }
  if (!(stepwise <= tolerance)) {
    return {
      valid: false,
      multiTokenPrefill: false,
      maxDifference: stepwise,
      tolerance,
      reason: `the split decoder differed from the export by ${shown(stepwise)} on single positions (tolerance ${shown(tolerance)})`,
    };
  }
  // Accepted only within the quantization noise: said, since greedy picks can then differ.
  const approximate =
    stepwise > TOLERANCE * scale
      ? [
          `the split decoder differs from the export by ${shown(stepwise)} on single positions, within the export's own quantization noise (${shown(own)}), so greedy picks can differ from the export's`,
        ]
      : [];
  let multi: number;
  let failure = '';
  try {
    multi = maxAbsDifference(atOnce, await run(candidate(true), false));
  } catch (error) {
    multi = Infinity;
    failure = ` (${short(error)})`;
  }
  if (multi <= tolerance) {
    return { valid: true, multiTokenPrefill: true, maxDifference: Math.max(stepwise, multi), tolerance, reason: approximate[0] };
  }
  const why = failure
    ? `it failed on a multi-position prefill${failure}`
    : `a multi-position prefill differed from the export's by ${shown(multi)}`;
  return {
    valid: true,
    multiTokenPrefill: false,
    maxDifference: stepwise,
    tolerance,
    reason: [...approximate, `a context is fed position by position: ${why}`].join('; '),
  };
}
