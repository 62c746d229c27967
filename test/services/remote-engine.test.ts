/** The engine in a worker thread (as `continuo serve` runs it), behind the same services. */
import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/main/services';
import { startThreadEngineHost } from '../../src/main/services/thread-engine-host';
import { tempDir } from '../helpers/models';
import { finished } from '../helpers/services';

describe('engine in a worker thread', () => {
  it('generates with progress, cancels, and reports engine errors', async () => {
    const services = createServices({ dataDir: tempDir('continuo-remote-'), host: startThreadEngineHost() });
    try {
      let steps = 0;
      const off = services.events.on('job.updated', (j) => j.progress && (steps = j.progress.step));
      const done = await finished(services, (await services.call('jobs/generate', { prompt: 'in a thread', seconds: 1, seed: 5 })).id);
      off();
      expect(done.error).toBeNull();
      expect(done.status).toBe('done');
      expect(steps).toBe(53);
      const take = await services.call('takes/get', { id: done.takeIds[0] });
      expect(services.library.readAudio(take.id).channels[0]).toHaveLength(32000);

      const long = await services.call('jobs/generate', { prompt: 'long', seconds: 30 });
      await new Promise<void>((resolve) => {
        const stop = services.events.on('job.updated', (j) => {
          if (j.id === long.id && j.progress) {
            stop();
            resolve();
          }
        });
      });
      await services.call('jobs/cancel', { id: long.id });
      expect((await finished(services, long.id)).status).toBe('cancelled');

      await services.call('settings/update', { device: 'cuda' });
      const failed = await finished(services, (await services.call('jobs/generate', { prompt: 'x', seconds: 1 })).id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatchObject({ code: 'model-unavailable', message: expect.stringMatching(/Cannot use device "cuda"/) });
    } finally {
      await services.close();
    }
  });
});
