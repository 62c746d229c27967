/**
 * The audio layer's public API: file codecs, import, resampling and the editor's DSP. Everything
 * works on planar float AudioData; nothing here touches Electron, so the CLI and tests use it too.
 */
export { assertAudioData, createSilence, durationSeconds, frameCount, type AudioData, type SampleFormat } from './types';
export { AudioFileAccessError, AudioFormatError } from './errors';
export { decodeWav, encodeWav } from './wav';
export { decodeFlac, encodeFlac } from './flac';
export { decodeAudioFile, probeAudioFile, readAudioFile, type AudioFileInfo, type AudioRegion } from './decode';
export { resample, type ResampleQuality } from './resample';
export { applyGain, crossfade, dbToGain, fadeIn, fadeOut, gainToDb, toChannels, trim, type FadeCurve } from './dsp';
export { mixdown, type MixClip, type MixOptions } from './mixdown';
export { loudnessLufs, normalizeLoudness, peakDb } from './levels';
export { computePeaks, type Peaks } from './peaks';
