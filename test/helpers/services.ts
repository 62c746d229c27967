/** Services over a temp data folder, with the engine in this process and the built-in test model. */
import { afterAll } from 'vitest';
import type { EventName, EventOf, Job } from '../../src/shared/contract';
import { createServices, type Services } from '../../src/main/services';
import { tempDir } from './models';

export function testServices(dataDir = tempDir('continuo-services-')): Services {
  const services = createServices({ dataDir });
  afterAll(() => services.close());
  return services;
}

export function collect<E extends EventName>(services: Services, event: E): EventOf<E>[] {
  const seen: EventOf<E>[] = [];
  services.events.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Resolves with the job once it reaches a final state. */
export function finished(services: Services, id: string): Promise<Job> {
  return new Promise((resolve) => {
    const off = services.events.on('job.updated', (job) => {
      if (job.id === id && ['done', 'failed', 'cancelled'].includes(job.status)) {
        off();
        resolve(job);
      }
    });
  });
}
