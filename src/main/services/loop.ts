/**
 * "Make an N-bar loop": generate a few bars more than asked at the tempo, consider every window of
 * exactly N bars that starts on a bar line, keep the one whose end joins its start best, and
 * crossfade the bar that followed it into its start so it loops without a click. The take is
 * exactly N bars long (to the sample) and remembers its loop points for export (`smpl`, `acid`).
 */
import type { z } from 'zod';
import type { LoopParamsSchema, Progress } from '../../shared/contract';
import { barToFrame, barToSample, promptWithMusic, secondsPerBar, type MusicalTime } from '../../shared/musical-time';
import { chooseLoop, crossfadeLoop } from '../audio/analysis';
import { throwIfAborted } from '../engine';
import { loadEngineFor, toProgress, type GenerationDeps } from './generation';
import { jobResult } from './job-result';
import { measuredTakeMusic } from './music';

type LoopParams = z.output<typeof LoopParamsSchema>;

/** Bars generated beyond the loop: the choice of where it starts, and material to crossfade its wrap with. */
const SPARE_BARS = 2;
/** The loop's wrap crossfade: a 32nd note's worth, at most 60 ms (long enough to hide a click, short enough to keep transients). */
const MAX_WRAP_FADE_SECONDS = 0.06;

export async function runLoop(
  deps: GenerationDeps,
  params: LoopParams,
  signal: AbortSignal,
  report: (p: Progress) => void,
): Promise<string[]> {
  const { info, loadMs } = await loadEngineFor(deps, params.modelId);
  throwIfAborted(signal);
  const time: MusicalTime = { tempoBpm: params.tempoBpm, timeSignature: params.timeSignature };
  const requested = { tempoBpm: params.tempoBpm, key: params.key ?? null, timeSignature: params.timeSignature };
  const generatedBars = params.bars + SPARE_BARS;
  const result = await deps.host.generate(
    {
      prompts: [promptWithMusic(params.prompt, requested)],
      variations: params.variations,
      newFrames: barToFrame(generatedBars, time, info),
      guidanceScale: params.guidanceScale,
      sampling: params.sampling,
      seed: params.seed,
    },
    { signal, onProgress: (p) => report(toProgress(p)) },
  );
  throwIfAborted(signal);
  deps.record?.(jobResult(info, result, loadMs));
  const length = barToSample(params.bars, time, info.sampleRate);
  const fade = Math.round(Math.min(secondsPerBar(time) / 32, MAX_WRAP_FADE_SECONDS) * info.sampleRate);
  return result.takes.map((take) => {
    const barSamples = Array.from({ length: generatedBars + 1 }, (_, b) => barToSample(b, time, info.sampleRate)).filter(
      (sample) => sample <= take.audio.channels[0].length,
    );
    const chosen = chooseLoop(take.audio, { barSamples, bars: params.bars, tempoBpm: params.tempoBpm });
    // Every window is exactly `length` samples, whatever rounding put its bar lines at.
    const audio = crossfadeLoop(take.audio, chosen.startSample, chosen.startSample + length, fade);
    const startFrame = barToFrame(chosen.startBar, time, info);
    const codes = take.codes.map((row) => row.slice(startFrame, startFrame + barToFrame(params.bars, time, info)));
    const saved = deps.library.saveTake({
      kind: 'generate',
      prompt: params.prompt,
      title: `${params.bars}-bar loop`,
      modelId: info.modelId,
      modelVariant: info.variant,
      device: info.device,
      seed: take.seed,
      settings: {
        seconds: length / info.sampleRate,
        maxNewTokens: result.maxNewTokens,
        guidanceScale: result.guidanceScale,
        sampling: result.sampling,
        variations: params.variations,
      },
      audio,
      codes,
      contextFrames: 0,
      music: measuredTakeMusic(audio, requested, { loop: { bars: params.bars, startSample: 0, endSample: length, seam: chosen.score } }),
    });
    deps.created(saved);
    return saved.id;
  });
}
