/**
 * Opens the decoder the fastest safe way. On first use of a merged decoder file it is split (see
 * onnx-split) and the split is checked once against the merged file on a short random probe:
 * first the two-block cache graph, then the export's own cached branch; the verdict is
 * remembered in a stamp file beside the model. When splitting is not possible (unknown layout,
 * read-only folder) or neither passes the probe, the merged file is used.
 *
 * The derived files are a cache. The stamp records the size and mtime of every file they read
 * (the merged file and any external-data file it points into) and the sha256 of each derived
 * file; a derived file that is missing, changed, unreadable or opens as some other graph is
 * discarded and the decoder split and probed again, instead of failing the load.
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from './config';
import { MergedDecoderRunner, SplitDecoderRunner, pastNames, type StepRunner } from './decoder-runner';
import { derivedProblem, discardDerived, readStamp, writeStamp, type CacheLayout, type Stamp } from './derived-files';
import { EngineError, onnxDetail, runFailed } from './errors';
import { checkDerivedDecoder } from './model-contract';
import { splitFilesFor, splitMergedDecoder, type SplitFiles } from './onnx-split/split-merged';
import { openSession, openSessionOnBestDevice, type Device, type DeviceChoice, type SessionSettings } from './providers';

const TOLERANCE = 1e-3;

export { checkDerivedFiles, type CacheLayout, type DerivedFileReport } from './derived-files';

export interface OpenedDecoder {
  runner: StepRunner;
  device: Device;
  deviceReason: string;
  mode: 'split' | 'merged';
  cache: CacheLayout;
  /** Why the merged file (or the export's own cache layout) is used, when it is. */
  note?: string;
  release(): Promise<void>;
}

/** Deterministic pseudo-random values for the probe. */
function probeValues(count: number, seed: number, scale: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: count }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x / 2 ** 32 - 0.5) * scale;
  });
}

function maxAbsDifference(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) return Infinity;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

/**
 * Runs three positions as one prefill, then two cached steps, through the merged decoder and the
 * split pair (both with the prefill at once and one position at a time), and compares the logits.
 * The two-block runner folds its recent block after two positions, so every part is exercised.
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
  const ids = (length: number, offset = 0) => BigInt64Array.from({ length: K * length }, (_, i) => BigInt((i * 37 + offset * 11 + 5) % spec.codebookSize));
  const steps: [BigInt64Array, number][] = [[ids(3), 3], [ids(1, 9), 1], [ids(1, 4), 1]];
  const run = async (runner: StepRunner) => {
    await runner.begin(states, mask, 1);
    const logits: Float32Array[] = [];
    for (const [i, [input, length]] of steps.entries()) logits.push((await runner.step(input, K, length, i === 0)).logits.slice());
    runner.end();
    return logits;
  };
  const reference = await run(new MergedDecoderRunner(merged, spec));
  const difference = async (multiTokenPrefill: boolean) => {
    try {
      const logits = await run(new SplitDecoderRunner(split.decoder, split.cross, spec, { multiTokenPrefill, foldEvery: 2 }));
      return Math.max(...logits.map((l, i) => maxAbsDifference(reference[i], l)));
    } catch {
      return Infinity;
    }
  };
  const scale = Math.max(1, ...reference.flatMap((l) => Array.from(l, Math.abs)));
  const stepwise = await difference(false);
  if (!(stepwise <= TOLERANCE * scale)) return { valid: false, multiTokenPrefill: false, maxDifference: stepwise };
  const multi = await difference(true);
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
    cache: 'concat',
    note,
    release: () => chosen.session.release(),
  };
}

async function openSplit(files: SplitFiles, cache: CacheLayout, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec) {
  const decoderFile = cache === 'two-block' ? files.twoBlock : files.decoder;
  const chosen = await openSessionOnBestDevice(decoderFile, choice, settings);
  try {
    const cross = await openSession(files.cross, chosen.device, settings);
    try {
      // A derived file that is some other graph would fail mid-generation; it fails here instead.
      checkDerivedDecoder(decoderFile, chosen.session.inputNames, chosen.session.outputNames, spec, cache === 'two-block' ? 'two-block' : 'with-past');
      checkDerivedDecoder(files.cross, cross.inputNames, cross.outputNames, spec, 'cross');
    } catch (error) {
      await cross.release();
      throw error;
    }
    return { ...chosen, cross };
  } catch (error) {
    await chosen.session.release();
    throw error;
  }
}

/** A derived file that is corrupt, foreign or not the graph it should be (not a device problem). */
const isBadDerivedFile = (error: unknown) => ['model-file-corrupt', 'model-file-mismatch'].includes((error as EngineError).code);

/**
 * The split recorded by a valid stamp, or undefined when a derived file it needs is missing,
 * changed, unreadable or not the graph it should be: then the derived files are discarded, to be
 * split and checked again.
 */
async function openStamped(merged: string, stamp: Stamp, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec) {
  const files = splitFilesFor(merged);
  const cache = stamp.cache ?? 'concat';
  if ([cache === 'two-block' ? files.twoBlock : files.decoder, files.cross].some((f) => derivedProblem(f, stamp))) {
    discardDerived(merged);
    return undefined;
  }
  try {
    return await openSplit(files, cache, choice, settings, spec);
  } catch (error) {
    if (!isBadDerivedFile(error)) throw error;
    discardDerived(merged);
    return undefined;
  }
}

/** The merged decoder, loaded once on the CPU without weight prepacking for the probe. */
async function openForProbe(mergedPath: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(mergedPath, { executionProviders: ['cpu'], logSeverityLevel: 4, extra: { session: { disable_prepacking: '1' } } });
  } catch (error) {
    throw new EngineError(
      'model-file-corrupt',
      `${mergedPath} could not be loaded: it looks truncated or corrupt (${onnxDetail(error)}). Run "continuo models verify" or download the model again.`,
      mergedPath,
      { cause: error },
    );
  }
}

export async function openDecoder(mergedPath: string, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec): Promise<OpenedDecoder> {
  const stamp = readStamp(mergedPath);
  if (stamp && !stamp.valid) return openMerged(mergedPath, choice, settings, spec, stamp.reason ?? 'the split decoder did not match the merged one');
  if (stamp) {
    const opened = await openStamped(mergedPath, stamp, choice, settings, spec);
    if (opened) return splitDecoder(opened, spec, stamp.multiTokenPrefill, stamp.cache ?? 'concat', stamp.reason);
  }
  let split: ReturnType<typeof splitMergedDecoder>;
  try {
    split = splitMergedDecoder(mergedPath);
  } catch (error) {
    return openMerged(mergedPath, choice, settings, spec, `the decoder could not be split (${(error as Error).message})`);
  }
  const { files, sources, twoBlockError } = split;
  let note = twoBlockError && `the two-block cache does not fit this export (${twoBlockError})`;
  // Checked once per file on the CPU without weight prepacking, so the check costs little memory.
  const merged = await openForProbe(mergedPath);
  try {
    let maxDifference = NaN;
    for (const candidate of (twoBlockError ? ['concat'] : ['two-block', 'concat']) as CacheLayout[]) {
      const opened = await openSplit(files, candidate, choice, settings, spec).catch((error: Error) => error);
      if (opened instanceof Error) {
        if (candidate === 'concat') throw opened;
        note = `the two-block cache could not be loaded (${opened.message.split('\n')[0]})`;
        continue;
      }
      const verdict = await probe(merged, { decoder: opened.session, cross: opened.cross }, spec).catch(async (error) => {
        await Promise.all([opened.session.release(), opened.cross.release()]);
        throw runFailed(error, mergedPath);
      });
      if (verdict.valid) {
        writeStamp(mergedPath, sources, files, { ...verdict, cache: candidate, reason: note });
        return splitDecoder(opened, spec, verdict.multiTokenPrefill, candidate, note);
      }
      maxDifference = verdict.maxDifference;
      if (candidate === 'two-block') note = `the two-block cache differed from the merged decoder by ${verdict.maxDifference}`;
      await Promise.all([opened.session.release(), opened.cross.release()]);
    }
    const reason = `the split decoder differed from the merged one by ${maxDifference}`;
    writeStamp(mergedPath, sources, files, { valid: false, multiTokenPrefill: false, maxDifference, reason });
    return await openMerged(mergedPath, choice, settings, spec, reason);
  } finally {
    await merged.release();
  }
}

function splitDecoder(opened: Awaited<ReturnType<typeof openSplit>>, spec: ModelSpec, multiTokenPrefill: boolean, cache: CacheLayout, note: string | undefined): OpenedDecoder {
  return {
    runner: new SplitDecoderRunner(opened.session, opened.cross, spec, { multiTokenPrefill }),
    device: opened.device,
    deviceReason: opened.reason,
    mode: 'split',
    cache,
    note,
    release: async () => {
      await Promise.all([opened.session.release(), opened.cross.release()]);
    },
  };
}
