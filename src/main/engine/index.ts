/** The engine's public surface. */
export {
  MusicgenEngine,
  type EngineOptions,
  type GenerateHooks,
  type GenerateResult,
  type GeneratedTake,
  type GenerateTimings,
} from './engine';
export type { GenerateRequest, ResolvedRequest } from './request';
export type { Codes } from './delay-pattern';
export type { PlanarAudio } from './codec';
export type { SamplingSettings } from './sampler';
export type { StepProgress } from './generate';
export { AudioStreamer, STREAM_DEFAULTS, type AudioChunk, type StreamOptions } from './stream';
export type { ModelSpec } from './config';
export { EngineError, CancelledError, isCancelled, throwIfAborted, type EngineErrorCode } from './errors';
export { DEVICES, type Device, type DeviceChoice } from './providers';
export { MODEL_VARIANTS, installedVariants, type ModelVariant } from './model-files';
export { MAX_SEED, randomSeed } from './rng';
export {
  defaultWindowPlan,
  generateLongForm,
  planWindows,
  WINDOW_FRAMES,
  STRIDE_FRAMES,
  type LongFormRequest,
  type LongFormProgress,
} from './long-form';
