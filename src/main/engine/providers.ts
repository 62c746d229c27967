/**
 * Execution-provider choice. `auto` tries the GPU providers this platform and this install of
 * onnxruntime-node can offer, in order of speed, and falls back to CPU, recording why each one
 * was skipped so the user can see which device runs and what to install for a faster one.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EngineError, stripAnsi } from './errors';

export const DEVICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type DeviceChoice = (typeof DEVICES)[number];
export type Device = Exclude<DeviceChoice, 'auto'>;

const AUTO_ORDER: Record<string, Device[]> = {
  linux: ['cuda', 'cpu'],
  win32: ['cuda', 'dml', 'cpu'],
  darwin: ['coreml', 'cpu'],
};

const PROVIDER_LIBRARY: Partial<Record<Device, string>> = {
  cuda: process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so',
};

function bindingDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why a device cannot run here, or undefined when it can be tried. */
export function unavailableReason(device: Device): string | undefined {
  if (device === 'cpu') return undefined;
  const listed = ort.listSupportedBackends().find((b) => b.name === device);
  if (!listed) return `not available in onnxruntime-node on ${process.platform}-${process.arch}`;
  if (listed.bundled) return undefined;
  const library = PROVIDER_LIBRARY[device];
  if (library && existsSync(join(bindingDir(), library))) return undefined;
  return `its provider is not installed (README › GPU)`;
}

export interface SessionChoice {
  session: ort.InferenceSession;
  device: Device;
  /** Human-readable: which device runs and why the faster ones were not used. */
  reason: string;
}

export interface SessionSettings {
  threads?: number;
  /**
   * false: the session's threads sleep after a run instead of spinning. For sessions run now and
   * then beside the decoder (the codec during a streaming preview), whose spinning threads would
   * otherwise take the cores from the decoder's next steps.
   */
  spinning?: boolean;
}

function options(device: Device, settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: settings.threads ?? 0,
    // Errors reach the user through our own messages; onnxruntime's console log would print them
    // a second time, in raw form with terminal colour codes.
    logSeverityLevel: 4,
    ...(settings.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}

/**
 * ONNX Runtime's words for a provider that cannot start: its shared library or one it needs
 * (cuDNN, cuBLAS, the driver) is missing, or the device refused. None of them says anything about
 * the model file.
 */
const PROVIDER_FAILURE =
  /providers_(cuda|tensorrt|rocm|dml|webgpu)|lib(cudnn|cublas|cudart|cufft|curand|nvinfer|cuda)|cuda(_| )?(error|driver|runtime)|CUDA|DirectML|WebGPU|adapter|execution provider|EP Error/i;
const MODEL_FAILURE = /protobuf|parse|load model|invalid model|Failed to load/i;

/** Sorts an error from opening a session: the provider could not start, or the file is bad. */
export function classifyOpenFailure(detail: string, device: Device): 'provider-unavailable' | 'model-file-corrupt' {
  if (device !== 'cpu' && PROVIDER_FAILURE.test(detail)) return 'provider-unavailable';
  return MODEL_FAILURE.test(detail) || device === 'cpu' ? 'model-file-corrupt' : 'provider-unavailable';
}

export async function openSession(path: string, device: Device, settings: SessionSettings = {}): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, options(device, settings));
  } catch (error) {
    const detail = stripAnsi((error as Error).message)
      .split('\n')[0]
      .trim();
    if (classifyOpenFailure(detail, device) === 'model-file-corrupt') {
      throw new EngineError(
        'model-file-corrupt',
        `${path} could not be loaded: it looks truncated or corrupt (${detail}). Run "continuo models verify" or download the model again.`,
        path,
        { cause: error },
      );
    }
    throw new EngineError(
      'provider-unavailable',
      `The ${device} provider could not start (${detail}). Use --device cpu, or see README › GPU.`,
      path,
      {
        cause: error,
      },
    );
  }
}

/** Opens `path` on the requested device; with `auto`, on the first device that works. */
export async function openSessionOnBestDevice(path: string, choice: DeviceChoice, settings: SessionSettings = {}): Promise<SessionChoice> {
  if (choice !== 'auto') {
    const why = unavailableReason(choice);
    if (why) throw new EngineError('provider-unavailable', `Cannot use device "${choice}": ${why}. Use --device auto or cpu.`);
    return { session: await openSession(path, choice, settings), device: choice, reason: `${choice} (requested)` };
  }
  const skipped: string[] = [];
  for (const device of AUTO_ORDER[process.platform] ?? ['cpu']) {
    const why = unavailableReason(device);
    if (why) {
      skipped.push(`${device}: ${why}`);
      continue;
    }
    try {
      const session = await openSession(path, device, settings);
      const reason = skipped.length ? `${device} (auto; skipped ${skipped.join('; ')})` : `${device} (auto)`;
      return { session, device, reason };
    } catch (error) {
      // A GPU that fails for any reason is skipped: if the file itself is bad, the CPU will say so.
      if (device === 'cpu') throw error;
      skipped.push(`${device}: ${firstCause(error)}`);
    }
  }
  throw new EngineError('provider-unavailable', `No execution provider could open ${path}: ${skipped.join('; ')}`);
}

function firstCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return stripAnsi(((cause ?? error) as Error).message ?? String(error))
    .split('\n')[0]
    .trim();
}
