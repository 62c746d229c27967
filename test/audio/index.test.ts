import { describe, expect, it } from 'vitest';
import * as audioLayer from '../../src/main/audio';
import { audio, noise, onGrid } from './signals';

describe('audio layer public API', () => {
  it('exports every entry point the rest of the app uses', () => {
    const functions = [
      'assertAudioData',
      'createSilence',
      'durationSeconds',
      'frameCount',
      'encodeWav',
      'decodeWav',
      'encodeFlac',
      'decodeFlac',
      'decodeAudioFile',
      'readAudioFile',
      'resample',
      'applyGain',
      'crossfade',
      'dbToGain',
      'fadeIn',
      'fadeOut',
      'gainToDb',
      'toChannels',
      'trim',
      'mixdown',
      'loudnessLufs',
      'normalizeLoudness',
      'peakDb',
      'computePeaks',
    ];
    for (const name of functions) expect(typeof audioLayer[name as keyof typeof audioLayer], name).toBe('function');
    expect(new audioLayer.AudioFormatError('a.wav', 'is bad', 'Fix it.')).toBeInstanceOf(Error);
  });

  it('chains an export: 32 kHz take -> 48 kHz, faded, normalised, 24-bit FLAC that decodes back', async () => {
    const take = audio(32000, onGrid(noise(32000, 1, 0.3), 16));
    const resampled = await audioLayer.resample(take, 48000, 'fastest');
    const mastered = audioLayer.normalizeLoudness(audioLayer.fadeOut(resampled, 0.1), -16);
    const decoded = await audioLayer.decodeAudioFile(await audioLayer.encodeFlac(mastered, 24), 'export.flac');
    expect(decoded.sampleRate).toBe(48000);
    expect(audioLayer.frameCount(decoded)).toBe(48000);
    expect(audioLayer.loudnessLufs(decoded)).toBeCloseTo(-16, 2);
    expect(decoded.channels[0][47999]).toBe(0);
  });
});
