/** A continuation stores the region as the user chose it (0.6 s, not 0.6000000000000001 s). */
import { describe, expect, it } from 'vitest';
import { finished, testServices } from '../helpers/services';

describe('continuation regions', () => {
  const services = testServices();

  it('keeps the seconds as typed, also where frames do not land on them exactly', async () => {
    const generated = await finished(services, (await services.call('jobs/generate', { prompt: 'organ drone', seconds: 2, seed: 5 })).id);
    expect(generated.error).toBeNull();
    const parent = generated.takeIds[0];
    for (const region of [
      { start: 0.6, end: 1.3 },
      { start: 0.605, end: 1.3 },
      { start: 0.1, end: 0.7 },
    ]) {
      const done = await finished(services, (await services.call('jobs/continue', { takeId: parent, region, seconds: 0.5, seed: 6 })).id);
      expect(done.status).toBe('done');
      const child = await services.call('takes/get', { id: done.takeIds[0] });
      expect(child.region).toEqual(region);
      expect(String(child.region!.start)).toBe(String(region.start));
    }
  });
});
