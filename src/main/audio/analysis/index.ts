/**
 * Musical analysis of generated audio: tempo and beats, key, how audible a cut is, and loops that
 * repeat cleanly. Everything reads planar AudioData and mixes to mono only the stretches it needs.
 */
export { estimateTempo, type TempoEstimate, type TempoOptions } from './tempo';
export { estimateKey, type KeyEstimate } from './key';
export { scoreSeam, type SeamOptions, type SeamScore } from './seam';
export { chooseLoop, crossfadeLoop, type LoopChoice, type LoopOptions } from './loop';
