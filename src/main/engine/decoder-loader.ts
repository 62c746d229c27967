/**
 * Opens the decoder the fastest safe way. On first use of a merged decoder file it is split in
 * two (see onnx-split) and the split is checked once against the merged file on a short random
 * probe; the verdict is remembered in a stamp file beside the model. When splitting is not
 * possible (unknown layout, read-only folder) or the probe disagrees, the merged file is used.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../atomic-file';
import type { ModelSpec } from './config';
import { MergedDecoderRunner, SplitDecoderRunner, pastNames, type StepRunner } from './decoder-runner';
import { splitFilesFor, splitMergedDecoder, type SplitFiles } from './onnx-split/split-merged';
import { openSession, openSessionOnBestDevice, type Device, type DeviceChoice, type SessionSettings } from './providers';

const SPLIT_VERSION = 1;
const TOLERANCE = 1e-3;

interface Stamp {
  version: number;
  sourceSize: number;
  sourceMtimeMs: number;
  valid: boolean;
  multiTokenPrefill: boolean;
  maxDifference: number;
  reason?: string;
}

export interface OpenedDecoder {
  runner: StepRunner;
  device: Device;
  deviceReason: string;
  mode: 'split' | 'merged';
  /** Why the merged file is used, when it is. */
  note?: string;
  release(): Promise<void>;
}

const stampPath = (merged: string) => `${merged}.continuo-split.json`;

function readStamp(merged: string): Stamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(stampPath(merged), 'utf8')) as Stamp;
    const { size, mtimeMs } = statSync(merged);
    return stamp.version === SPLIT_VERSION && stamp.sourceSize === size && stamp.sourceMtimeMs === mtimeMs ? stamp : undefined;
  } catch {
    return undefined;
  }
}

function writeStamp(merged: string, verdict: Omit<Stamp, 'version' | 'sourceSize' | 'sourceMtimeMs'>): void {
  const { size, mtimeMs } = statSync(merged);
  try {
    writeFileAtomic(stampPath(merged), Buffer.from(JSON.stringify({ version: SPLIT_VERSION, sourceSize: size, sourceMtimeMs: mtimeMs, ...verdict }, null, 2)));
  } catch {
    // A read-only model folder only costs the check again next time.
  }
}

/** Deterministic pseudo-random values for the probe. */
function probeValues(count: number, seed: number, scale: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: count }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x / 2 ** 32 - 0.5) * scale;
  });
}

function maxAbsDifference(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) return Infinity;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

/**
 * Runs three positions (as one prefill, then one cached step) through the merged decoder and the
 * split pair, and through the split pair one position at a time, and compares the logits.
 */
async function probe(merged: ort.InferenceSession, split: { decoder: ort.InferenceSession; cross: ort.InferenceSession }, spec: ModelSpec): Promise<{ valid: boolean; multiTokenPrefill: boolean; maxDifference: number }> {
  const meta = merged.inputMetadata.find((m) => m.name === 'encoder_hidden_states');
  const textDim = meta && meta.isTensor && typeof meta.shape[2] === 'number' ? meta.shape[2] : 0;
  // The probe feeds float32; an fp16 export keeps its merged decoder rather than go unchecked.
  if (!textDim || floatTypeIsHalf(merged)) return { valid: false, multiTokenPrefill: false, maxDifference: NaN };
  const K = spec.codebooks;
  const T = 5;
  const states = new ort.Tensor('float32', probeValues(T * textDim, 7, 2), [1, T, textDim]);
  const mask = new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n, 0n]), [1, T]);
  const ids = (length: number, offset = 0) =>
    new ort.Tensor('int64', BigInt64Array.from({ length: K * length }, (_, i) => BigInt((i * 37 + offset * 11 + 5) % spec.codebookSize)), [K, length]);

  const mergedRunner = new MergedDecoderRunner(merged, spec);
  await mergedRunner.begin(states, mask, 1);
  const refPrefill = await mergedRunner.step(ids(3).data as BigInt64Array, K, 3, true);
  const refPrefillLogits = new ort.Tensor('float32', refPrefill.logits.slice(), [K, spec.codebookSize]);
  const refNext = await mergedRunner.step(ids(1, 9).data as BigInt64Array, K, 1, false);
  const refNextLogits = new ort.Tensor('float32', refNext.logits.slice(), [K, spec.codebookSize]);
  mergedRunner.end();

  const check = async (multi: boolean) => {
    const runner = new SplitDecoderRunner(split.decoder, split.cross, spec, multi);
    await runner.begin(states, mask, 1);
    const a = await runner.step(ids(3).data as BigInt64Array, K, 3, true);
    const first = maxAbsDifference(refPrefillLogits, new ort.Tensor('float32', a.logits.slice(), [K, spec.codebookSize]));
    const b = await runner.step(ids(1, 9).data as BigInt64Array, K, 1, false);
    const second = maxAbsDifference(refNextLogits, new ort.Tensor('float32', b.logits.slice(), [K, spec.codebookSize]));
    runner.end();
    return Math.max(first, second);
  };
  const scale = Math.max(1, ...Array.from(refNextLogits.data as Float32Array, Math.abs));
  const stepwise = await check(false);
  if (!(stepwise <= TOLERANCE * scale)) return { valid: false, multiTokenPrefill: false, maxDifference: stepwise };
  const multi = await check(true);
  return { valid: true, multiTokenPrefill: multi <= TOLERANCE * scale, maxDifference: Math.max(stepwise, multi) };
}

function floatTypeIsHalf(session: ort.InferenceSession): boolean {
  return pastNames(1).some((n) => session.inputMetadata.some((m) => m.name === n && m.isTensor && m.type === 'float16'));
}

async function openMerged(path: string, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec, note: string): Promise<OpenedDecoder> {
  const chosen = await openSessionOnBestDevice(path, choice, settings);
  return {
    runner: new MergedDecoderRunner(chosen.session, spec),
    device: chosen.device,
    deviceReason: chosen.reason,
    mode: 'merged',
    note,
    release: () => chosen.session.release(),
  };
}

export async function openDecoder(mergedPath: string, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec): Promise<OpenedDecoder> {
  let stamp = readStamp(mergedPath);
  if (stamp && !stamp.valid) return openMerged(mergedPath, choice, settings, spec, stamp.reason ?? 'the split decoder did not match the merged one');
  let files: SplitFiles = splitFilesFor(mergedPath);
  try {
    if (!stamp || !existsSync(files.decoder) || !existsSync(files.cross)) files = splitMergedDecoder(mergedPath);
  } catch (error) {
    return openMerged(mergedPath, choice, settings, spec, `the decoder could not be split (${(error as Error).message})`);
  }
  const chosen = await openSessionOnBestDevice(files.decoder, choice, settings);
  const cross = await openSession(files.cross, chosen.device, settings);
  if (!stamp) {
    // Checked once per file on the CPU without weight prepacking, so the check costs little memory.
    const merged = await ort.InferenceSession.create(mergedPath, { executionProviders: ['cpu'], logSeverityLevel: 3, extra: { session: { disable_prepacking: '1' } } });
    try {
      const verdict = await probe(merged, { decoder: chosen.session, cross }, spec);
      stamp = { version: SPLIT_VERSION, sourceSize: 0, sourceMtimeMs: 0, ...verdict, reason: verdict.valid ? undefined : `the split decoder differed from the merged one by ${verdict.maxDifference}` };
      writeStamp(mergedPath, { valid: verdict.valid, multiTokenPrefill: verdict.multiTokenPrefill, maxDifference: verdict.maxDifference, reason: stamp.reason });
    } finally {
      await merged.release();
    }
    if (!stamp.valid) {
      await Promise.all([chosen.session.release(), cross.release()]);
      return openMerged(mergedPath, choice, settings, spec, stamp.reason!);
    }
  }
  return {
    runner: new SplitDecoderRunner(chosen.session, cross, spec, stamp.multiTokenPrefill),
    device: chosen.device,
    deviceReason: chosen.reason,
    mode: 'split',
    release: async () => {
      await Promise.all([chosen.session.release(), cross.release()]);
    },
  };
}

