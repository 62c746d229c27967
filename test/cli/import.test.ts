/** `continuo library import FILE…`: imported takes by id, bad files reported and not saved. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/main/audio';
import { audio, sine } from '../audio/signals';
import { parseJson, runCli } from '../helpers/cli';
import { tempDir } from '../helpers/models';

describe('continuo library import', () => {
  const data = tempDir('continuo-data-');
  const files = tempDir('continuo-import-cli-');
  const cli = (...args: string[]) => runCli(['--data-dir', data, ...args]);
  writeFileSync(join(files, 'pad.wav'), encodeWav(audio(44100, sine(220, 0.5, 44100, 0.3), sine(330, 0.5, 44100, 0.3)), 'pcm24'));
  writeFileSync(join(files, 'hit.wav'), encodeWav(audio(48000, sine(80, 0.25, 48000, 0.5)), 'pcm16'));
  writeFileSync(join(files, 'broken.wav'), Buffer.from('RIFF....WAVEjunk'));

  it('prints the ids of the new takes, one a line, and keeps rate and channels', async () => {
    const result = await cli('library', 'import', join(files, 'pad.wav'), join(files, 'hit.wav'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ids = result.stdout.trim().split('\n');
    expect(ids).toHaveLength(2);
    const pad = parseJson(await cli('library', 'show', ids[0], '--json'));
    expect(pad).toMatchObject({ kind: 'import', title: 'pad', sampleRate: 44100, channels: 2, device: 'pad.wav' });
    expect(parseJson(await cli('library', 'show', ids[1], '--json'))).toMatchObject({ title: 'hit', sampleRate: 48000, channels: 1 });
  });

  it('takes --title and --json', async () => {
    const [take] = parseJson(await cli('library', 'import', join(files, 'hit.wav'), '--title', 'Kick one', '--json'));
    expect(take).toMatchObject({ kind: 'import', title: 'Kick one' });
  });

  it('refuses a damaged file with a clear error and saves nothing for it', async () => {
    const before = parseJson(await cli('library', 'list', '--json')).total;
    const result = await cli('library', 'import', join(files, 'broken.wav'));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Nothing was imported\. .*broken\.wav/);
    expect(parseJson(await cli('library', 'list', '--json')).total).toBe(before);
  });
});
