/**
 * The criterion the loader uses to trust a split decoder (decoder-probe), on stand-in runners
 * whose logits are known: like is compared with like, a quantized decoder may differ from its
 * export by as much as the export differs from itself, and every refusal says why.
 */
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../src/main/engine/config';
import { probeSplit } from '../../src/main/engine/decoder-probe';
import type { StepOutput, StepRunner } from '../../src/main/engine/decoder-runner';

const spec = { codebooks: 2, codebookSize: 8 } as ModelSpec;

/**
 * Logits that depend only on the position, plus `offset`; a prefill fed at once adds `atOnce`
 * (a quantized decoder's activation scale changes with the number of positions).
 */
function runner(options: { offset?: number; atOnce?: number; offsetFrom?: number; fails?: string } = {}): StepRunner {
  let position = 0;
  return {
    encoderStateType: 'float32',
    async begin() {
      position = 0;
    },
    async step(_ids: BigInt64Array, rows: number, length: number): Promise<StepOutput> {
      if (options.fails) throw new Error(options.fails);
      position += length;
      const shift = (position > (options.offsetFrom ?? 0) ? (options.offset ?? 0) : 0) + (length > 1 ? (options.atOnce ?? 0) : 0);
      return { logits: Float32Array.from({ length: rows * 8 }, (_, i) => Math.sin(position + i) * 5 + shift), runMs: 0 };
    },
    end() {},
  };
}

const probe = (reference: StepRunner, candidate: (multi: boolean) => StepRunner, quantized = false) =>
  probeSplit(reference, candidate, spec, 4, quantized);

describe('decoder probe', () => {
  it('accepts a split that computes what the export computes, with a prefill at once', async () => {
    expect(await probe(runner(), () => runner())).toMatchObject({
      valid: true,
      multiTokenPrefill: true,
      maxDifference: 0,
      reason: undefined,
    });
  });

  it('compares a prefill fed position by position with the export fed the same way', async () => {
    // The export's own prefill at once differs from its prefill by position (as q8's does); the
    // split matches it position by position and at once.
    const verdict = await probe(runner({ atOnce: 0.3 }), () => runner({ atOnce: 0.3 }), true);
    expect(verdict).toMatchObject({ valid: true, multiTokenPrefill: true, maxDifference: 0 });
  });

  it('refuses a split that differs on the first position alone, saying by how much', async () => {
    const verdict = await probe(runner({ offset: 0.5, offsetFrom: 0 }), () => runner({ offset: 0.5, offsetFrom: 1 }));
    expect(verdict.valid).toBe(false);
    expect(verdict.reason).toBe('the split decoder differed from the export by 0.5 on single positions (tolerance 0.0055)');
  });

  it('accepts a quantized split within the export own noise, and says greedy picks can differ', async () => {
    const verdict = await probe(runner({ atOnce: 0.3 }), () => runner({ atOnce: 0.3, offset: 0.1 }), true);
    expect(verdict).toMatchObject({ valid: true, multiTokenPrefill: true });
    expect(verdict.reason).toMatch(
      /^the split decoder differs from the export by 0\.1 on single positions, within the export's own quantization noise \(0\.3\), so greedy picks can differ/,
    );
    // The same difference in a float decoder is a mismatch.
    expect((await probe(runner({ atOnce: 0.3 }), () => runner({ atOnce: 0.3, offset: 0.1 }), false)).valid).toBe(false);
  });

  it('feeds a context position by position when the split cannot take it at once, saying why', async () => {
    const single = await probe(runner(), (multi) => runner({ atOnce: multi ? 2 : 0 }));
    expect(single).toMatchObject({ valid: true, multiTokenPrefill: false });
    expect(single.reason).toBe("a context is fed position by position: a multi-position prefill differed from the export's by 2");
    const failing = await probe(runner(), (multi) => (multi ? runner({ fails: 'traced for one position' }) : runner()));
    expect(failing.reason).toBe('a context is fed position by position: it failed on a multi-position prefill (traced for one position)');
  });

  it('refuses a split that fails, with the error in the reason', async () => {
    const verdict = await probe(runner(), () => runner({ fails: "input 'input_ids' is missing in 'feeds'" }));
    expect(verdict).toMatchObject({
      valid: false,
      maxDifference: Infinity,
      reason: "the split decoder failed on the probe (input 'input_ids' is missing in 'feeds')",
    });
  });
});
