/** `continuo models` and `continuo library`, end to end against a loopback Hub. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { parseJson, runCli } from '../helpers/cli';
import { startHubServer, type HubServer } from '../helpers/hub-server';
import { tempDir } from '../helpers/models';
import { makeRepo } from '../models/fixture';

describe('models and library from the CLI', () => {
  const data = tempDir('continuo-cli-data-');
  const out = tempDir();
  let hub: HubServer;
  const cli = (...args: string[]) => runCli(['--data-dir', data, ...args]);

  beforeAll(async () => {
    const repo = makeRepo(join(tempDir('continuo-repo-'), 'repo'));
    hub = await startHubServer({ repos: { 'Xenova/musicgen-small': repo.dir }, lfsRedirect: true });
  });
  afterAll(() => hub?.close());

  it('refuses to download without accepting the licence', async () => {
    const result = await cli('models', 'pull', 'musicgen-small', '--hub', hub.baseUrl);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Creative Commons Attribution-NonCommercial/);
    expect(result.stderr).toMatch(/add --yes/);
  });

  it('pulls, lists and uses the downloaded model for generation', async () => {
    const pulled = parseJson(await cli('models', 'pull', 'musicgen-small', '--yes', '--hub', hub.baseUrl, '--json'));
    expect(pulled.installedVariants).toEqual(['q8']);
    expect(existsSync(join(data, 'models', 'musicgen-small', 'onnx', 'decoder_model_merged_quantized.onnx'))).toBe(true);
    expect(hub.requests.some((r) => r.file === 'onnx/decoder_model_merged_quantized.onnx' && r.status === 200)).toBe(true);

    const list = parseJson(await cli('models', 'list', '--json'));
    expect(list.find((m: { id: string }) => m.id === 'musicgen-small')).toMatchObject({ installedVariants: ['q8'], active: true });

    const json = parseJson(await cli('generate', '--prompt', 'tape hiss ambient', '--seconds', '1', '--seed', '3', '--json'));
    // The loopback Hub serves the generated test model under musicgen-small's name, so it is flagged as one.
    expect(json.model).toMatchObject({ id: 'musicgen-small', variant: 'q8', testModel: true });
    expect(json.takeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.out).toBeNull();
  });

  it('lists, searches, shows, trashes, restores and exports takes', async () => {
    const list = parseJson(await cli('library', 'list', '--json'));
    expect(list.total).toBe(1);
    const id = list.takes[0].id;
    expect(parseJson(await cli('library', 'search', 'tape', '--json')).takes.map((t: { id: string }) => t.id)).toEqual([id]);
    expect(parseJson(await cli('library', 'search', 'violin', '--json')).total).toBe(0);
    const shown = await cli('library', 'show', id);
    expect(shown.stdout).toContain('prompt: tape hiss ambient');
    expect(shown.stdout).toContain('model: musicgen-small (q8)');

    expect((await cli('library', 'rm', id)).stdout).toContain(`continuo library restore ${id}`);
    expect(parseJson(await cli('library', 'list', '--json')).total).toBe(0);
    expect(parseJson(await cli('library', 'list', '--trash', '--json')).total).toBe(1);
    await cli('library', 'restore', id);
    expect(parseJson(await cli('library', 'list', '--json')).total).toBe(1);

    const file = join(out, 'export.wav');
    const exported = parseJson(await cli('library', 'export-take', id, '--format', 'wav16', '--rate', '44100', '--out', file, '--json'));
    expect(exported.file).toBe(file);
    const wav = decodeWav(readFileSync(file));
    expect(wav.sampleRate).toBe(44100);
    expect(wav.channels[0]).toHaveLength(44100);

    const missing = await cli('library', 'show', 'no-such-id');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not in the library/);
  });

  it('verifies a model and notices a damaged file', async () => {
    expect((await cli('models', 'verify', 'musicgen-small')).stdout).toContain('all files are intact');
    const file = join(data, 'models', 'musicgen-small', 'tokenizer.json');
    const bytes = readFileSync(file);
    bytes[10] ^= 0xff;
    writeFileSync(file, bytes);
    const result = await cli('models', 'verify', 'musicgen-small');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('tokenizer.json: sha256');
    expect(result.stderr).toMatch(/continuo models pull musicgen-small/);
  });

  it('removes a model', async () => {
    expect((await cli('models', 'rm', 'musicgen-small')).stdout).toContain('Removed musicgen-small');
    expect(existsSync(join(data, 'models', 'musicgen-small'))).toBe(false);
  });
});
