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

  it('refuses an http mirror on another host unless --allow-insecure, saying how to allow it', async () => {
    // 0.0.0.0 is not a loopback name, but Linux connects it to the loopback Hub: nothing leaves the machine.
    const remote = hub.baseUrl.replace('127.0.0.1', '0.0.0.0');
    const before = hub.requests.length;
    const refused = await cli('models', 'pull', 'musicgen-small', '--yes', '--hub', remote);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Refusing to download model files over plain http from 0\.0\.0\.0:\d+: .*add --allow-insecure/);
    expect(hub.requests.length).toBe(before);
    expect(existsSync(join(data, 'models', 'musicgen-small'))).toBe(false);
    expect((await cli('models', 'pull', '--help')).stdout).toMatch(/--allow-insecure +allow an http:\/\/ mirror on another machine/);
  });

  it('pulls, lists and uses the downloaded model for generation', async () => {
    const text = await cli('models', 'pull', 'musicgen-small', '--yes', '--hub', hub.baseUrl);
    expect(text.code).toBe(0);
    // The loopback Hub, like huggingface.co, publishes a sha256 only for the LFS (.onnx) files.
    expect(text.stderr).toMatch(
      /^warning: size checked only: no published sha256 for config\.json, generation_config\.json, tokenizer\.json, tokenizer_config\.json and special_tokens_map\.json \(MusicGen Small\)/m,
    );
    expect(text.stdout).toBe('Installed musicgen-small (q8).\n');
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

    expect((await cli('library', 'rm', id)).stdout).toContain(`npm run -s continuo -- library restore ${id}`);
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
    expect(exported).toMatchObject({ warnings: [], loudnessLufs: expect.any(Number), truePeakDb: expect.any(Number) });
    const loud = parseJson(
      await cli('library', 'export-take', id, '--lufs', '-16', '--ceiling', '-2', '--out', join(out, 'loud.wav'), '--json'),
    );
    expect(loud.loudnessLufs).toBeLessThanOrEqual(-15.9);
    expect(loud.truePeakDb).toBeLessThanOrEqual(-2);

    const missing = await cli('library', 'show', 'no-such-id');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not in the library/);
  });

  it('accepts the first 8 characters of a take id wherever a full id goes', async () => {
    const id = parseJson(await cli('library', 'list', '--json')).takes[0].id as string;
    const short = id.slice(0, 8);
    expect(parseJson(await cli('library', 'show', short, '--json')).id).toBe(id);
    expect((await cli('library', 'show', short)).stdout).toContain('prompt: tape hiss ambient');
    const removed = await cli('library', 'rm', short);
    expect(removed.stdout).toBe(`Moved ${id} to the trash. Undo with: npm run -s continuo -- library restore ${id}\n`);
    expect((await cli('library', 'restore', short)).stdout).toBe(`Restored ${id}.\n`);
    const file = join(out, 'short.wav');
    expect(parseJson(await cli('library', 'export-take', short, '--format', 'wav16', '--out', file, '--json')).file).toBe(file);
  });

  it('export-take --out: a relative path is where the user typed it (npm runs us elsewhere), and a folder is refused first', async () => {
    const id = parseJson(await cli('library', 'list', '--json')).takes[0].id as string;
    const root = join(import.meta.dirname, '..', '..');
    // As `npm run continuo` from the user's folder: cwd is the package root, INIT_CWD the user's folder.
    const npmEnv = { INIT_CWD: out, npm_package_json: join(root, 'package.json') };
    const result = await runCli(
      ['--data-dir', data, 'library', 'export-take', id, '--format', 'wav16', '--out', 'relative.wav', '--json'],
      npmEnv,
    );
    expect(parseJson(result).file).toBe(join(out, 'relative.wav'));
    expect(decodeWav(readFileSync(join(out, 'relative.wav'))).channels[0].length).toBeGreaterThan(0);
    expect(existsSync(join(root, 'relative.wav'))).toBe(false);
    const refused = await cli('library', 'export-take', id, '--out', out);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/it is a folder/);
  });

  it('verifies a model and notices a damaged file', async () => {
    const intact = await cli('models', 'verify', 'musicgen-small');
    expect(intact.stdout).toContain('all files are intact');
    expect(intact.stderr).toMatch(
      /^warning: size checked only: no published sha256 for config\.json, generation_config\.json, special_tokens_map\.json, tokenizer\.json, tokenizer_config\.json, so when downloaded/m,
    );
    const file = join(data, 'models', 'musicgen-small', 'tokenizer.json');
    const bytes = readFileSync(file);
    bytes[10] ^= 0xff;
    writeFileSync(file, bytes);
    const result = await cli('models', 'verify', 'musicgen-small');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('tokenizer.json: sha256');
    // A command to paste, for the variant that is damaged.
    expect(result.stderr).toMatch(/Run "npm run -s continuo -- models pull musicgen-small --variant q8 --yes" again to repair it\./);
  });

  it('removes a model', async () => {
    expect((await cli('models', 'rm', 'musicgen-small')).stdout).toContain('Removed musicgen-small');
    expect(existsSync(join(data, 'models', 'musicgen-small'))).toBe(false);
  });
});
