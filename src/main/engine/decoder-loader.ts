/**
 * Opens the decoder the fastest safe way. On first use of a decoder (optimum's merged file, or
 * the unmerged `decoder_model` + `decoder_with_past_model` pair) it is split (see onnx-split) and
 * the split is checked once against the decoder as exported on a short random probe
 * (decoder-probe): first the two-block cache graph, then the export's own cached branch; the
 * verdict is remembered in a stamp file beside the model. When splitting is not possible (unknown
 * layout, read-only folder) or neither passes the probe, the export runs as it is — and the
 * reason is in `note`, so a fast path that does not engage always says why.
 *
 * The derived files are a cache. The stamp records the size and mtime of every file they read
 * (the decoder file or files and any external-data file they point into) and the sha256 of each
 * derived file; a derived file that is missing, changed, unreadable or opens as some other graph
 * is discarded and the decoder split and probed again, instead of failing the load.
 */
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from './config';
import { probeSplit } from './decoder-probe';
import { MergedDecoderRunner, SplitDecoderRunner, type StepRunner } from './decoder-runner';
import { derivedProblem, discardDerived, readStamp, writeStamp, type CacheLayout, type Stamp } from './derived-files';
import { EngineError, onnxDetail, runFailed } from './errors';
import { checkDerivedDecoder } from './model-contract';
import type { DecoderFiles } from './model-files';
import { splitDecoder, splitFilesFor, splitKey, type SplitFiles, type SplitResult } from './onnx-split/split-decoder';
import { openSession, openSessionOnBestDevice, type Device, type DeviceChoice, type SessionSettings } from './providers';

export { checkDerivedFiles, type CacheLayout, type DerivedFileReport } from './derived-files';

/** `split`: the derived graphs; `merged`/`pair`: the export as it is (merged file or unmerged pair). */
export type DecoderMode = 'split' | 'merged' | 'pair';

export interface OpenedDecoder {
  runner: StepRunner;
  device: Device;
  deviceReason: string;
  mode: DecoderMode;
  cache: CacheLayout;
  /** Why the export (or its own cache layout, or a position-by-position prefill) is used, when it is. */
  note?: string;
  release(): Promise<void>;
}

/** The decoder as exported, on the best device. */
async function openExport(
  files: DecoderFiles,
  choice: DeviceChoice,
  settings: SessionSettings,
  spec: ModelSpec,
  note: string,
): Promise<OpenedDecoder> {
  if (files.layout === 'merged') {
    const chosen = await openSessionOnBestDevice(files.merged, choice, settings);
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
  const chosen = await openSessionOnBestDevice(files.withPast, choice, settings);
  const first = await openSession(files.noPast, chosen.device, settings).catch(async (error) => {
    await chosen.session.release();
    throw error;
  });
  return {
    runner: new MergedDecoderRunner(first, spec, chosen.session),
    device: chosen.device,
    deviceReason: chosen.reason,
    mode: 'pair',
    cache: 'concat',
    note,
    release: async () => {
      await Promise.all([first.release(), chosen.session.release()]);
    },
  };
}

async function openSplit(files: SplitFiles, cache: CacheLayout, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec) {
  const decoderFile = cache === 'two-block' ? files.twoBlock : files.decoder;
  const chosen = await openSessionOnBestDevice(decoderFile, choice, settings);
  try {
    const cross = await openSession(files.cross, chosen.device, settings);
    try {
      // A derived file that is some other graph would fail mid-generation; it fails here instead.
      checkDerivedDecoder(
        decoderFile,
        chosen.session.inputNames,
        chosen.session.outputNames,
        spec,
        cache === 'two-block' ? 'two-block' : 'with-past',
      );
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
async function openStamped(key: string, stamp: Stamp, choice: DeviceChoice, settings: SessionSettings, spec: ModelSpec) {
  const files = splitFilesFor(key);
  const cache = stamp.cache ?? 'concat';
  if ([cache === 'two-block' ? files.twoBlock : files.decoder, files.cross].some((f) => derivedProblem(f, stamp))) {
    discardDerived(key);
    return undefined;
  }
  try {
    return await openSplit(files, cache, choice, settings, spec);
  } catch (error) {
    if (!isBadDerivedFile(error)) throw error;
    discardDerived(key);
    return undefined;
  }
}

/** One decoder file loaded on the CPU without weight prepacking, for the probe (little memory). */
async function openForProbe(path: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      logSeverityLevel: 4,
      extra: { session: { disable_prepacking: '1' } },
    });
  } catch (error) {
    throw new EngineError(
      'model-file-corrupt',
      `${path} could not be loaded: it looks truncated or corrupt (${onnxDetail(error)}). Run "continuo models verify" or download the model again.`,
      path,
      { cause: error },
    );
  }
}

/** The export as the probe's reference: its runner, and the width of the text states it takes. */
async function referenceFor(
  files: DecoderFiles,
  spec: ModelSpec,
): Promise<{ runner: StepRunner; textDim: number; release: () => Promise<void> }> {
  const sessions =
    files.layout === 'merged' ? [await openForProbe(files.merged)] : [await openForProbe(files.noPast), await openForProbe(files.withPast)];
  const meta = sessions[0].inputMetadata.find((m) => m.name === 'encoder_hidden_states');
  const textDim = meta && meta.isTensor && typeof meta.shape[2] === 'number' ? meta.shape[2] : 0;
  return {
    runner: new MergedDecoderRunner(sessions[0], spec, sessions[1]),
    textDim,
    release: async () => {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}

export async function openDecoder(
  files: DecoderFiles,
  choice: DeviceChoice,
  settings: SessionSettings,
  spec: ModelSpec,
): Promise<OpenedDecoder> {
  const key = splitKey(files);
  const stamp = readStamp(key);
  if (stamp && !stamp.valid) return openExport(files, choice, settings, spec, stamp.reason ?? 'the split decoder did not match the export');
  if (stamp) {
    const opened = await openStamped(key, stamp, choice, settings, spec);
    if (opened) return openedSplit(opened, spec, stamp.multiTokenPrefill, stamp.cache ?? 'concat', stamp.reason);
  }
  let split: SplitResult;
  try {
    split = splitDecoder(files);
  } catch (error) {
    return openExport(files, choice, settings, spec, `the decoder could not be split (${(error as Error).message})`);
  }
  return probeAndOpen(files, split, choice, settings, spec);
}

/** Probes the two-block graph, then the plain cached branch; opens the first that passes, else the export. */
async function probeAndOpen(
  files: DecoderFiles,
  split: SplitResult,
  choice: DeviceChoice,
  settings: SessionSettings,
  spec: ModelSpec,
): Promise<OpenedDecoder> {
  const key = splitKey(files);
  const { sources, twoBlockError, quantized } = split;
  const notes: string[] = twoBlockError ? [`the two-block cache does not fit this export (${twoBlockError})`] : [];
  const reference = await referenceFor(files, spec);
  try {
    if (!reference.textDim)
      return await openExport(
        files,
        choice,
        settings,
        spec,
        'the decoder does not declare the width of its text states, so the split could not be checked',
      );
    let maxDifference = NaN;
    for (const candidate of (twoBlockError ? ['concat'] : ['two-block', 'concat']) as CacheLayout[]) {
      const opened = await openSplit(split.files, candidate, choice, settings, spec).catch((error: Error) => error);
      if (opened instanceof Error) {
        if (candidate === 'concat') throw opened;
        notes.push(`the two-block cache could not be loaded (${opened.message.split('\n')[0]})`);
        continue;
      }
      const candidateRunner = (multiTokenPrefill: boolean) =>
        new SplitDecoderRunner(opened.session, opened.cross, spec, { multiTokenPrefill, foldEvery: 2 });
      const verdict = await probeSplit(reference.runner, candidateRunner, spec, reference.textDim, quantized).catch(async (error) => {
        await Promise.all([opened.session.release(), opened.cross.release()]);
        throw runFailed(error, key);
      });
      if (verdict.valid) {
        const note = [...notes, ...(verdict.reason ? [verdict.reason] : [])].join('; ') || undefined;
        writeStamp(key, sources, split.files, {
          valid: true,
          multiTokenPrefill: verdict.multiTokenPrefill,
          maxDifference: verdict.maxDifference,
          cache: candidate,
          reason: note,
        });
        return openedSplit(opened, spec, verdict.multiTokenPrefill, candidate, note);
      }
      maxDifference = verdict.maxDifference;
      notes.push(candidate === 'two-block' ? `two-block cache refused: ${verdict.reason}` : `split refused: ${verdict.reason}`);
      await Promise.all([opened.session.release(), opened.cross.release()]);
    }
    const reason = notes.join('; ');
    writeStamp(key, sources, split.files, { valid: false, multiTokenPrefill: false, maxDifference, reason });
    return await openExport(files, choice, settings, spec, reason);
  } finally {
    await reference.release();
  }
}

function openedSplit(
  opened: Awaited<ReturnType<typeof openSplit>>,
  spec: ModelSpec,
  multiTokenPrefill: boolean,
  cache: CacheLayout,
  note: string | undefined,
): OpenedDecoder {
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
