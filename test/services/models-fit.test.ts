/**
 * MusicGen medium from gabotechs/music_gen's folders (tiny stand-ins on the loopback Hub) through
 * the services: sizes, memory, calibration after install, the recommendation, and a model without
 * encodec_encoder.onnx (continuing stored codes works; audio that must be encoded names the file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/main/services';
import type { ModelInfo } from '../../src/shared/contract';
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { finished } from '../helpers/services';
import { GABO, makeGaboRepo } from '../models/gabo-fixture';

const work = tempDir('continuo-fit-');
let hub: HubServer;
let services: Services;

beforeAll(async () => {
  makeGaboRepo(join(work, 'gabo'));
  hub = await startHubServer({ repos: { [GABO]: join(work, 'gabo') } });
  services = createServices({ dataDir: join(work, 'data'), hubBaseUrl: hub.baseUrl, totalMemoryBytes: 64e9 });
});
afterAll(async () => {
  await services?.close();
  await hub?.close();
});

const medium = async () => (await services.call('models/list', {})).find((m) => m.id === 'musicgen-medium')!;

describe('musicgen-medium through the services', () => {
  it('before download: approximate sizes and memory estimates; small recommended until a speed is measured', async () => {
    const list = await services.call('models/list', {});
    const m = list.find((x) => x.id === 'musicgen-medium')!;
    expect(m.variants.map((v) => [v.variant, v.approximate])).toEqual([
      ['fp32', true],
      ['fp16', true],
      ['q8', true],
    ]);
    expect(m.variants.every((v) => (v.memoryBytes ?? 0) > (v.bytes ?? Infinity))).toBe(true);
    expect(list.filter((x) => x.recommended).map((x) => [x.id, x.recommended!.variant])).toEqual([['musicgen-small', 'q8']]);
    expect(list.find((x) => x.id === 'musicgen-small')!.recommended!.reason).toMatch(
      /^MusicGen Small q8: start here \(it needs about .* of this computer's 64\.0 GB\)/,
    );
  });

  it('installs fp32 into models/musicgen-medium/fp32, shows its real size, and calibrates it after install', async () => {
    const done = new Promise<ModelInfo>((resolve) => {
      const off = services.events.on('model.updated', (m) => {
        if (m.id === 'musicgen-medium' && (m.download?.phase === 'complete' || m.download?.phase === 'error')) {
          off();
          resolve(m);
        }
      });
    });
    await services.call('models/pull', { id: 'musicgen-medium', variant: 'fp32', acceptLicence: true });
    expect((await done).download).toMatchObject({ phase: 'complete', dir: join(work, 'data', 'models', 'musicgen-medium', 'fp32') });
    // The calibration started after install; a second one queues behind it.
    const again = await services.call('models/calibrate', { id: 'musicgen-medium' });
    expect(again).toMatchObject({ id: 'musicgen-medium', variant: 'fp32', audioSeconds: 2.5 });
    expect(again.secondsPerSecond).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(join(work, 'data', 'models', 'musicgen-medium', 'fp32', 'continuo-calibration.json'), 'utf8'));
    expect(record.fp32).toMatchObject({ secondsPerSecond: again.secondsPerSecond, audioSeconds: 2.5 });

    const m = await medium();
    expect(m.installedVariants).toEqual(['fp32']);
    const fp32 = m.variants.find((v) => v.variant === 'fp32')!;
    expect(fp32.approximate).toBeUndefined();
    expect(fp32.bytes).toBeLessThan(1e7);
    expect(fp32.secondsPerSecond).toBe(again.secondsPerSecond);
    expect(m.calibrating).toBe(false);
  });

  it('calibrates the built-in test model on demand', async () => {
    const result = await services.call('models/calibrate', { id: 'continuo-test-tiny' });
    expect(result.variant).toBe('fp32');
    const test = (await services.call('models/list', {})).find((m) => m.isTestModel)!;
    expect(test.variants[0].secondsPerSecond).toBe(result.secondsPerSecond);
    await expect(services.call('models/calibrate', { id: 'musicgen-medium', variant: 'fp16' })).rejects.toThrow(
      /musicgen-medium has no fp16 variant installed/,
    );
  });

  it('without encodec_encoder.onnx: a take continues from its stored codes; imported audio names the missing file', async () => {
    const job = await services.call('jobs/generate', { prompt: 'lofi beat', seconds: 1, modelId: 'musicgen-medium', seed: 3 });
    const made = await finished(services, job.id);
    expect(made.status).toBe('done');
    const take = await services.call('takes/get', { id: made.takeIds[0] });
    const cont = await finished(
      services,
      (await services.call('jobs/continue', { takeId: take.id, modelId: 'musicgen-medium', seconds: 1 })).id,
    );
    expect(cont.status).toBe('done');

    const imported = services.library.saveTake({
      kind: 'import',
      prompt: 'my loop',
      modelId: 'none',
      modelVariant: 'none',
      device: 'none',
      seed: 0,
      settings: {
        seconds: 1,
        maxNewTokens: 0,
        guidanceScale: 1,
        sampling: { greedy: true, temperature: 1, topK: 0, topP: 1 },
        variations: 1,
      },
      audio: services.library.readAudio(take.id),
      codes: null,
      contextFrames: 0,
    });
    const failed = await finished(
      services,
      (await services.call('jobs/continue', { takeId: imported.id, modelId: 'musicgen-medium', seconds: 1 })).id,
    );
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(
      /its audio \(imported\) must be encoded, and this model has no audio encoder to read its audio: .*musicgen-medium[/\\]fp32[/\\]onnx[/\\]encodec_encoder\.onnx is missing/,
    );
    expect(existsSync(join(work, 'data', 'models', 'musicgen-medium', 'fp32', 'onnx', 'encodec_encoder.onnx'))).toBe(false);
  });
});
