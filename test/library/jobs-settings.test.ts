import { describe, expect, it } from 'vitest';
import { INTERRUPTED_MESSAGE } from '../../src/main/library';
import { openLibrary, steppingClock, tempRoot } from './helpers';

describe('jobs', () => {
  it('records status changes and fails jobs a crash interrupted, across a reopen', () => {
    const root = tempRoot();
    const first = openLibrary(root, { now: steppingClock() });
    const request = { prompt: 'ambient pads', seconds: 8 };
    for (const id of ['queued-job', 'running-job', 'done-job', 'failed-job']) {
      first.recordJob({ id, kind: 'generate', request, createdAt: '2024-05-01T09:00:00.000Z' });
    }
    first.markJob('running-job', 'running');
    first.markJob('done-job', 'running');
    first.markJob('done-job', 'done', { takeIds: ['t1', 't2'] });
    first.markJob('failed-job', 'failed', { error: 'The model ran out of memory.' });

    expect(first.getJob('running-job')).toMatchObject({ status: 'running', request, finishedAt: null });
    expect(first.getJob('running-job')!.startedAt).not.toBeNull();
    expect(first.getJob('done-job')).toMatchObject({ status: 'done', takeIds: ['t1', 't2'], error: null });
    expect(first.getJob('done-job')!.finishedAt).not.toBeNull();
    first.close(); // the "crash": nothing marks the unfinished jobs

    const second = openLibrary(root, { now: steppingClock('2024-06-01T00:00:00.000Z') });
    expect(second.failInterruptedJobs().sort()).toEqual(['queued-job', 'running-job']);
    for (const id of ['queued-job', 'running-job']) {
      expect(second.getJob(id)).toMatchObject({ status: 'failed', error: INTERRUPTED_MESSAGE });
      expect(second.getJob(id)!.finishedAt! >= '2024-06-01').toBe(true);
    }
    expect(second.getJob('done-job')).toMatchObject({ status: 'done', takeIds: ['t1', 't2'] });
    expect(second.getJob('failed-job')).toMatchObject({ status: 'failed', error: 'The model ran out of memory.' });
    expect(second.failInterruptedJobs()).toEqual([]);
  });

  it('accepts a status update that arrives before the job is recorded', () => {
    const library = openLibrary();
    library.markJob('early', 'running');
    library.recordJob({ id: 'early', kind: 'continue', request: { takeId: 'x' }, createdAt: '2024-05-01T09:00:00.000Z' });
    expect(library.getJob('early')).toMatchObject({ kind: 'continue', status: 'running', request: { takeId: 'x' } });
    expect(() => library.markJob('early', 'exploded' as never)).toThrow(expect.objectContaining({ code: 'invalid' }));
  });
});

describe('settings', () => {
  it('stores JSON values by key, across a reopen', () => {
    const root = tempRoot();
    const library = openLibrary(root);
    expect(library.getSetting('settings')).toBeUndefined();
    library.setSetting('settings', { modelId: 'musicgen-small', threads: null, device: 'auto' });
    library.setSetting('volume', 0.8);
    library.setSetting('volume', 0.5);
    library.close();
    const again = openLibrary(root);
    expect(again.getSetting('settings')).toEqual({ modelId: 'musicgen-small', threads: null, device: 'auto' });
    expect(again.getSetting<number>('volume')).toBe(0.5);
    again.setSetting('volume', undefined);
    expect(again.getSetting('volume')).toBeUndefined();
  });
});
