/**
 * The generation loop: prefill the decoder with the start token (and any context frames), then
 * one decoder step per new position — classifier-free guidance, sampling, the delay pattern's
 * forced tokens — checking for cancellation between steps (ORT cannot stop a running step).
 */
import type { StepRunner } from './decoder-runner';
import { forcedToken, outputFrames, promptPositions, revertDelay, type Codes } from './delay-pattern';
import { throwIfAborted } from './errors';
import { seededUniform, takeSeed, type Uniform } from './rng';
import { TokenSampler, type SamplingSettings } from './sampler';
import type { ModelSpec } from './config';

export interface DecodeJob {
  /** Takes to generate in one batch (prompts × variations). */
  samples: number;
  maxNewTokens: number;
  guidanceScale: number;
  sampling: SamplingSettings;
  seed: number;
  /** Per take, the codes to continue from; all of the same length. */
  contexts?: Codes[];
}

export interface StepProgress {
  step: number;
  total: number;
  elapsedMs: number;
  etaMs: number;
}

export interface DecodeStats {
  steps: number;
  decoderMs: number;
  runMs: number;
  stepMs: number[];
}

export interface DecodeOutput {
  codes: Codes[];
  stats: DecodeStats;
}

export interface DecodeHooks {
  onStep?: (progress: StepProgress) => void;
  /**
   * Frames completed by the last step (per take, [codebook][frame], after the context): a frame is
   * complete once every codebook has produced it, `codebooks − 1` steps after the first did.
   */
  onCodes?: (added: Codes[]) => Promise<void> | void;
  signal?: AbortSignal;
}

export function usesGuidance(scale: number): boolean {
  return scale > 1;
}

/** Runs the decoder for a job whose encoder states were already given to `runner.begin`. */
export async function decodeTokens(runner: StepRunner, spec: ModelSpec, job: DecodeJob, hooks: DecodeHooks = {}): Promise<DecodeOutput> {
  const K = spec.codebooks;
  const V = spec.codebookSize;
  const pad = spec.padTokenId;
  const cfg = usesGuidance(job.guidanceScale);
  const S = job.samples;
  const rows = (cfg ? 2 : 1) * S * K;
  const contextFrames = job.contexts?.[0]?.[0]?.length ?? 0;
  const prompt = promptPositions(contextFrames);
  const total = prompt + job.maxNewTokens;

  const contexts = Array.from({ length: S }, (_, s) => job.contexts?.[s]);
  const sequences: Int32Array[][] = contexts.map((context) =>
    Array.from({ length: K }, (_, k) => {
      const row = new Int32Array(total);
      row[0] = spec.decoderStartTokenId;
      for (let p = 1; p < prompt; p++) row[p] = forcedToken(context, k, p, pad);
      return row;
    }),
  );
  const uniforms: (Uniform | undefined)[] = sequences.map((_, s) =>
    job.sampling.greedy ? undefined : seededUniform(takeSeed(job.seed, s)),
  );
  const sampler = new TokenSampler(V);
  const mixed = new Float32Array(V);
  const stats: DecodeStats = { steps: 0, decoderMs: 0, runMs: 0, stepMs: [] };
  const started = performance.now();

  let ids = new BigInt64Array(rows * prompt);
  for (let r = 0; r < rows; r++) {
    const seq = sequences[Math.floor(r / K) % S][r % K];
    for (let p = 0; p < prompt; p++) ids[r * prompt + p] = BigInt(seq[p]);
  }
  const next = new BigInt64Array(rows);
  const frames = outputFrames(contextFrames, job.maxNewTokens, K);
  let complete = contextFrames;

  for (let step = 0; step < job.maxNewTokens; step++) {
    throwIfAborted(hooks.signal);
    const stepStart = performance.now();
    const position = prompt + step;
    const { logits, runMs } = await runner.step(ids, rows, step === 0 ? prompt : 1, step === 0);

    for (let s = 0; s < S; s++) {
      for (let k = 0; k < K; k++) {
        const seq = sequences[s][k];
        let token = forcedToken(contexts[s], k, position, pad);
        if (token < 0) {
          const cond = (s * K + k) * V;
          let row = logits;
          let start = cond;
          if (cfg) {
            const uncond = cond + S * K * V;
            const g = job.guidanceScale;
            for (let i = 0; i < V; i++) {
              const u = logits[uncond + i];
              mixed[i] = u + (logits[cond + i] - u) * g;
            }
            row = mixed;
            start = 0;
          }
          token = sampler.pick(row, start, job.sampling, uniforms[s]);
        }
        seq[position] = token;
        next[s * K + k] = BigInt(token);
        if (cfg) next[(S + s) * K + k] = next[s * K + k];
      }
    }
    ids = next;
    if (hooks.onCodes) {
      // After position p, codebook K−1 holds frames up to p − K.
      const done = Math.min(frames, position - K + 1);
      if (done > complete) {
        const from = complete;
        complete = done;
        await hooks.onCodes(sequences.map((seq) => seq.map((row, k) => Array.from(row.subarray(from + 1 + k, done + 1 + k)))));
      }
    }

    const stepMs = performance.now() - stepStart;
    stats.steps++;
    stats.runMs += runMs;
    stats.stepMs.push(stepMs);
    const elapsedMs = performance.now() - started;
    hooks.onStep?.({
      step: step + 1,
      total: job.maxNewTokens,
      elapsedMs,
      etaMs: (elapsedMs / (step + 1)) * (job.maxNewTokens - step - 1),
    });
  }
  stats.decoderMs = performance.now() - started;
  return { codes: sequences.map((seq) => revertDelay(seq, frames)), stats };
}
