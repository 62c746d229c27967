import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../src/main/transport/browser-host';
import { finished, testServices } from '../helpers/services';

describe('browser host: /download serves exported files only (browser mode "drag out")', () => {
  const services = testServices();
  let host: BrowserHost;
  let file: string;
  let base: string;

  beforeAll(async () => {
    const job = await finished(services, (await services.call('jobs/generate', { prompt: 'download me', seconds: 1, seed: 3 })).id);
    file = (await services.call('export/take', { id: job.takeIds[0], format: 'wav16', sampleRate: 44100 })).file;
    host = await startBrowserHost({ services });
    base = new URL(host.url).origin;
  });
  afterAll(() => host?.close());

  const url = (path: string, token = host.token) => `${base}/download?path=${encodeURIComponent(path)}&token=${encodeURIComponent(token)}`;

  it('downloads an exported file as an attachment', async () => {
    const response = await fetch(url(file));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="download-me-[\w-]+\.wav"$/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(readFileSync(file));
  });

  it('refuses a wrong token, and any file that is not an export', async () => {
    expect((await fetch(url(file, 'nope'))).status).toBe(403);
    expect((await fetch(url(`${services.dataDir}/library.db`))).status).toBe(404);
    expect((await fetch(url(`${file}/../../library.db`))).status).toBe(404);
  });
});
