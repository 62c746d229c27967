/**
 * Execution providers that cannot start. The CUDA provider is not installable here, so its load
 * failure is injected: onnxruntime-node is wrapped to list CUDA and to fail as it does when a CUDA
 * library is missing. A missing library must never read as a corrupt model, and `auto` must fall
 * back to the CPU saying why.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { testModel, tempDir } from '../helpers/models';

const CUDA_MISSING =
  'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory';

vi.mock('onnxruntime-node', async (importOriginal) => {
  const ort = await importOriginal<typeof import('onnxruntime-node')>();
  const create = async (path: string, options?: import('onnxruntime-node').InferenceSession.SessionOptions) => {
    if (options?.executionProviders?.includes('cuda')) throw new Error(`\u001b[1;31m${CUDA_MISSING}\u001b[m`);
    return ort.InferenceSession.create(path, options);
  };
  return {
    ...ort,
    listSupportedBackends: () => [...ort.listSupportedBackends().filter((b) => b.name !== 'cuda'), { name: 'cuda', bundled: true }],
    InferenceSession: { ...ort.InferenceSession, create },
  };
});

const { classifyOpenFailure } = await import('../../src/main/engine/providers');
const { MusicgenEngine } = await import('../../src/main/engine');

describe('a GPU provider that cannot start', () => {
  it('is told apart from a corrupt model file', () => {
    expect(classifyOpenFailure(CUDA_MISSING, 'cuda')).toBe('provider-unavailable');
    expect(classifyOpenFailure('CUDA failure 100: no CUDA-capable device is detected', 'cuda')).toBe('provider-unavailable');
    expect(classifyOpenFailure('Load model from x.onnx failed:Protobuf parsing failed.', 'cuda')).toBe('model-file-corrupt');
    expect(classifyOpenFailure('Load model from x.onnx failed:Protobuf parsing failed.', 'cpu')).toBe('model-file-corrupt');
  });

  it('auto falls back to the CPU and says why in one line', async () => {
    if (process.platform !== 'linux' && process.platform !== 'win32') return; // auto tries CUDA on these only
    const engine = await MusicgenEngine.load(testModel('tiny'), { device: 'auto' });
    try {
      expect(engine.device).toBe('cpu');
      expect(engine.deviceReason).toMatch(/^cpu \(auto; skipped cuda: Failed to load library libonnxruntime_providers_cuda\.so/);
      expect(engine.deviceReason).not.toMatch(/corrupt/);
      expect(engine.deviceReason).not.toContain('\u001b');
      const result = await engine.generate({ prompts: ['drums'], maxNewTokens: 8, guidanceScale: 1, sampling: { greedy: true } });
      expect(result.takes[0].audio.channels[0].length).toBeGreaterThan(0);
    } finally {
      await engine.dispose();
    }
  });

  it('asked for by name, it fails as an unavailable provider, naming what to do', async () => {
    const error = await MusicgenEngine.load(testModel('tiny'), { device: 'cuda' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider-unavailable' });
    expect((error as Error).message).toMatch(
      /cuda provider could not start \(Failed to load library libonnxruntime_providers_cuda\.so.*--device cpu/,
    );
    expect((error as Error).message).not.toMatch(/corrupt|verify/);
  });

  it('a model that is really damaged is still reported as damaged under auto', async () => {
    const dir = join(tempDir('continuo-providers-'), 'broken');
    cpSync(testModel('tiny'), dir, { recursive: true });
    writeFileSync(join(dir, 'onnx', 'decoder_model_merged.onnx'), 'not an onnx file');
    const error = await MusicgenEngine.load(dir, { device: 'auto' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/decoder_model_merged\.onnx/);
    expect((error as Error).message).toMatch(/corrupt|damaged|download/i);
  });
});
