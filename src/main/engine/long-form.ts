/**
 * Music longer than the model's window (30 s for MusicGen): generate the first window, then keep
 * sliding — each next window continues from the last (window − stride) frames of what exists and
 * adds `stride` new frames, as audiocraft's generate_long does (window 30 s, stride 18 s). Codes
 * are stitched per take and decoded to audio once at the end, so there are no seams to crossfade.
 */
import type { Codes } from './delay-pattern';
import type { GenerateHooks, GenerateResult, GenerateTimings, MusicgenEngine } from './engine';
import { EngineError, throwIfAborted } from './errors';
import type { StepProgress } from './generate';
import type { GenerateRequest } from './request';
import { randomSeed } from './rng';
import { AudioStreamer } from './stream';

export const WINDOW_FRAMES = 1500;
export const STRIDE_FRAMES = 900;
/** Added to the seed per window, so take i's streams stay reproducible alone (seed + i). */
const WINDOW_SEED_STEP = 7919;

export interface LongFormRequest extends Omit<GenerateRequest, 'maxNewTokens' | 'context' | 'contexts'> {
  newFrames: number;
  /** Shared context; when it leaves too little room in the window, only its end is used. */
  context?: Codes;
  windowFrames?: number;
  strideFrames?: number;
}

export interface LongFormProgress extends StepProgress {
  window: number;
  windows: number;
}

export interface LongFormHooks extends Omit<GenerateHooks, 'onProgress'> {
  onProgress?: (progress: LongFormProgress) => void;
}

export interface WindowPlan {
  contextFrames: number;
  windows: { context: number; frames: number }[];
}

/** How many frames each window adds and how much context it sees. */
export function planWindows(newFrames: number, contextFrames: number, window: number, stride: number): WindowPlan {
  if (stride >= window) throw new EngineError('request-invalid', 'The stride must be shorter than the window.');
  const firstFrames = Math.min(newFrames, window - Math.min(contextFrames, window - Math.min(newFrames, stride)));
  const usedContext = Math.min(contextFrames, window - firstFrames);
  const windows = [{ context: usedContext, frames: firstFrames }];
  let made = usedContext + firstFrames;
  let remaining = newFrames - firstFrames;
  while (remaining > 0) {
    const frames = Math.min(stride, remaining);
    const context = Math.min(made, window - frames);
    windows.push({ context, frames });
    made += frames;
    remaining -= frames;
  }
  return { contextFrames: usedContext, windows };
}

/** The windows generateLongForm makes with its default stride: what a caller needs to place its output. */
export function defaultWindowPlan(newFrames: number, contextFrames: number, windowFrames: number): WindowPlan {
  return planWindows(newFrames, contextFrames, windowFrames, Math.min(STRIDE_FRAMES, windowFrames - 1));
}

const tail = (codes: Codes, frames: number): Codes => codes.map((row) => row.slice(row.length - frames));

export async function generateLongForm(
  engine: MusicgenEngine,
  request: LongFormRequest,
  hooks: LongFormHooks = {},
): Promise<GenerateResult> {
  const { spec } = engine;
  const K = spec.codebooks;
  const window = Math.min(request.windowFrames ?? WINDOW_FRAMES, spec.maxPositions - K);
  const stride = Math.min(request.strideFrames ?? STRIDE_FRAMES, window - 1);
  const givenContext = request.context?.[0]?.length ?? 0;
  if (!Number.isInteger(request.newFrames) || request.newFrames < 1)
    throw new EngineError('request-invalid', 'Ask for at least one new frame (20 ms).');
  const plan = planWindows(request.newFrames, givenContext, window, stride);
  const seed = request.seed ?? randomSeed();
  const { context: _context, newFrames: _frames, windowFrames: _window, strideFrames: _stride, ...common } = request;
  const totalSteps = plan.windows.reduce((sum, w) => sum + w.frames + K - 1, 0);
  const takes = request.prompts.length * (request.variations ?? 1);
  let codes: Codes[] = Array.from({ length: takes }, () =>
    plan.contextFrames ? tail(request.context!, plan.contextFrames) : Array.from({ length: K }, () => []),
  );

  const streamer = hooks.onAudio
    ? new AudioStreamer((batch) => engine.decode(batch), spec.hopLength, spec.sampleRate, codes, hooks.onAudio, hooks.stream)
    : undefined;
  let stepsBefore = 0;
  let last: GenerateResult | undefined;
  const timings: GenerateTimings = { textEncoderMs: 0, decoderMs: 0, decoderRunMs: 0, steps: 0, stepMs: [], codecMs: 0, totalMs: 0 };
  const started = performance.now();
  for (const [index, w] of plan.windows.entries()) {
    const contexts = w.context > 0 ? codes.map((c) => tail(c, w.context)) : undefined;
    last = await engine.generate(
      { ...common, maxNewTokens: w.frames + K - 1, seed: (seed + index * WINDOW_SEED_STEP) >>> 0, contexts, decodeAudio: false },
      {
        signal: hooks.signal,
        onCodes: streamer ? (added) => streamer.push(added) : undefined,
        onProgress: (p) => {
          const step = stepsBefore + p.step;
          const elapsedMs = performance.now() - started;
          hooks.onProgress?.({
            step,
            total: totalSteps,
            elapsedMs,
            etaMs: (elapsedMs / step) * (totalSteps - step),
            window: index + 1,
            windows: plan.windows.length,
          });
        },
      },
    );
    stepsBefore += w.frames + K - 1;
    codes = codes.map((c, t) => c.map((row, k) => row.concat(last!.takes[t].codes[k].slice(w.context))));
    Object.assign(timings, {
      textEncoderMs: timings.textEncoderMs + last.timings.textEncoderMs,
      decoderMs: timings.decoderMs + last.timings.decoderMs,
      decoderRunMs: timings.decoderRunMs + last.timings.decoderRunMs,
      steps: timings.steps + last.timings.steps,
      stepMs: timings.stepMs.concat(last.timings.stepMs),
    });
  }
  const codecStart = performance.now();
  // A caller that stitches several generations (a song's sections) decodes once, at the end.
  const audio =
    request.decodeAudio === false && !streamer
      ? codes.map(() => ({ sampleRate: spec.sampleRate, channels: [] as Float32Array[] }))
      : await engine.decode(codes);
  timings.codecMs = performance.now() - codecStart;
  if (streamer) {
    throwIfAborted(hooks.signal);
    streamer.finish(audio);
    timings.streamMs = streamer.decodeMs;
  }
  timings.totalMs = performance.now() - started;
  const result = last!;
  return {
    ...result,
    request: { ...result.request, seed, contexts: undefined },
    takes: result.takes.map((take, t) => ({
      ...take,
      seed: (seed + t) >>> 0,
      codes: codes[t],
      contextFrames: plan.contextFrames,
      audio: audio[t],
    })),
    timings,
  };
}
