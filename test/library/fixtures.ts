/** Take fixtures without any vitest import, so a plain child process (the concurrency writer) can use them. */
import type { TakeSettings } from '../../src/shared/contract';
import type { AudioData } from '../../src/main/audio';
import type { NewTake } from '../../src/main/library';

export const SETTINGS: TakeSettings = {
  seconds: 1,
  maxNewTokens: 53,
  guidanceScale: 3,
  sampling: { greedy: false, temperature: 1, topK: 250, topP: 1 },
  variations: 1,
};

/** A short deterministic stereo ramp: every sample is distinct, so round trips are checkable. */
export function testAudio(frames = 320, sampleRate = 32000, channels = 2): AudioData {
  return {
    sampleRate,
    channels: Array.from({ length: channels }, (_, c) =>
      Float32Array.from({ length: frames }, (_, i) => Math.sin((i + 1) * (c + 1) * 0.01) * 0.5),
    ),
  };
}

export function newTake(overrides: Partial<NewTake> = {}): NewTake {
  return {
    kind: 'generate',
    prompt: 'warm lo-fi piano',
    modelId: 'musicgen-small',
    modelVariant: 'fp32',
    device: 'cpu',
    seed: 42,
    settings: SETTINGS,
    audio: testAudio(),
    codes: [
      [1, 2, 3, 2047],
      [4, 5, 6, 0],
      [7, 8, 9, 1000],
      [10, 11, 12, 65535],
    ],
    contextFrames: 0,
    ...overrides,
  };
}
