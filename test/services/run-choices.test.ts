/**
 * What the CLI needs from the services to be one of their clients: a job's result (model, device,
 * resolved request, timings), choices for one run that are never saved, a library kept elsewhere,
 * codes imported as a take, and takes kept as files when the library cannot save them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../src/main/services';
import { decodeWav } from '../../src/main/audio';
import { finished, testServices } from '../helpers/services';
import { tempDir, testModel } from '../helpers/models';

async function generate(services: Services, params: Record<string, unknown>) {
  const job = await services.call('jobs/generate', { prompt: 'p', seconds: 1, ...params });
  return finished(services, job.id);
}

describe('services for a client such as the CLI', () => {
  const services = testServices();

  it("a finished job reports the model, device, resolved request and timings; app/info the decoder's path", async () => {
    const done = await generate(services, { seed: 3 });
    expect(done.status).toBe('done');
    expect(done.result).toMatchObject({
      modelId: 'continuo-test-tiny',
      variant: 'fp32',
      device: 'cpu',
      seed: 3,
      maxNewTokens: 53,
      guidanceScale: 3,
      sampling: { greedy: false, topK: 250 },
      warnings: [],
      timings: { steps: 53 },
    });
    expect(done.result!.timings.totalMs).toBeGreaterThan(0);
    expect(done.result!.unsaved).toBeUndefined();
    const info = await services.call('app/info', {});
    expect(info.engine?.decoderMode).toEqual({ mode: 'split', cache: 'two-block' });
  });

  it("a long take's maxNewTokens counts all its windows' frames", async () => {
    const done = await generate(services, { seconds: 40, seed: 1 });
    expect(done.result!.maxNewTokens).toBe(2000 + 4 - 1);
    expect(services.library.getCodes(done.takeIds[0])![0]).toHaveLength(2000);
  });

  it('imported codes become a take that continues from exactly those codes', async () => {
    const source = await generate(services, { seconds: 2, seed: 8 });
    const codes = services.library.getCodes(source.takeIds[0])!;
    const imported = await services.importCodes(codes, { name: 'groove.json' });
    expect(imported).toMatchObject({ kind: 'import', modelId: 'continuo-test-tiny', modelVariant: 'codes', device: 'groove.json' });
    expect(imported.title).toBe('groove');
    expect(services.library.getCodes(imported.id)).toEqual(codes);
    const next = await finished(
      services,
      (await services.call('jobs/continue', { takeId: imported.id, region: { start: 0.5, end: 2 }, seconds: 0.5, seed: 2 })).id,
    );
    const child = services.library.getCodes(next.takeIds[0])!;
    expect(child.map((row) => row.slice(0, 75))).toEqual(codes.map((row) => row.slice(25)));
    await expect(services.importCodes([[1, 2, 3]], { name: 'wrong.json' })).rejects.toMatchObject({
      code: 'invalid-params',
      message: expect.stringMatching(/must have 4 codebooks/),
    });
  });
});

describe('services created for one run', () => {
  it('use the session model, variant and device over the settings, and do not save them', async () => {
    const data = tempDir('continuo-services-');
    const folder = testModel('tiny-stereo');
    const services = createServices({ dataDir: data, session: { model: folder, variant: 'fp32', device: 'cpu', threads: 1 } });
    try {
      const done = await generate(services, { seed: 1 });
      expect(done.result).toMatchObject({ modelId: folder, variant: 'fp32', device: 'cpu' });
      expect((await services.call('takes/get', { id: done.takeIds[0] })).channels).toBe(2);
      expect(await services.call('settings/get', {})).toMatchObject({ modelId: null, variant: null, device: 'auto', threads: null });
      // A job's own model still wins.
      expect((await generate(services, { modelId: 'no-such-model' })).error).toMatchObject({ code: 'model-unavailable' });
    } finally {
      await services.close();
    }
  });

  it('keep the library in libraryDir and the models in the data folder', async () => {
    const data = tempDir('continuo-services-');
    const elsewhere = tempDir('continuo-library-');
    const services = createServices({ dataDir: data, libraryDir: elsewhere });
    try {
      const done = await generate(services, {});
      expect(done.status).toBe('done');
      expect(services.library.audioPath(done.takeIds[0]).startsWith(elsewhere)).toBe(true);
      expect(existsSync(join(elsewhere, 'library.sqlite'))).toBe(true);
      expect(existsSync(join(data, 'library.sqlite'))).toBe(false);
      expect(existsSync(join(data, 'models', 'continuo-test-tiny'))).toBe(true);
    } finally {
      await services.close();
    }
  });
});

describe('when the library cannot save the takes', () => {
  it("keeps each take's audio and codes in the data folder's recovered/, and the failed job says where", async () => {
    const data = tempDir('continuo-services-');
    const services = createServices({ dataDir: data });
    try {
      const db = new Database(join(data, 'library.sqlite'));
      db.exec("CREATE TRIGGER refuse_takes BEFORE INSERT ON takes BEGIN SELECT RAISE(ABORT, 'simulated failure while saving'); END");
      db.close();
      const done = await generate(services, { seed: 11, variations: 2 });
      expect(done.status).toBe('failed');
      const unsaved = done.result!.unsaved!;
      expect(unsaved).toMatchObject({ reason: 'simulated failure while saving', savedTakeIds: [] });
      expect(unsaved.kept.map((k) => k.take)).toEqual([0, 1]);
      expect(done.error).toEqual({
        code: 'io',
        message: `Could not save the take in the library: simulated failure while saving. The audio was kept in ${unsaved.kept[0].audio}, ${unsaved.kept[1].audio} (and its codes beside it, for "continuo continue --codes").`,
      });
      for (const [i, kept] of unsaved.kept.entries()) {
        expect(kept.audio.startsWith(join(data, 'recovered'))).toBe(true);
        expect(decodeWav(readFileSync(kept.audio)).channels[0]).toHaveLength(32000);
        expect(JSON.parse(readFileSync(kept.codes, 'utf8'))).toMatchObject({ seed: 11 + i, prompt: 'p', model: 'continuo-test-tiny' });
      }
      expect((await services.call('takes/list', {})).total).toBe(0);
    } finally {
      await services.close();
    }
  });
});
