import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  renameSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { Library } from '../../src/main/library';
import { userCwd } from '../../src/cli/user-path';
import { parseJson, runCli, startCli, type CliResult } from '../helpers/cli';
import { tempDir, testModel } from '../helpers/models';

const ROOT = join(import.meta.dirname, '..', '..');

const hasSox = (() => {
  try {
    execFileSync('soxi', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('continuo generate', () => {
  const model = testModel('tiny');
  const out = tempDir();
  const data = tempDir('continuo-data-');
  const home = tempDir('continuo-home-');
  const scratch = tempDir();
  /** A new folder inside this file's temp folder (tempDir inside a test would not be cleaned up). */
  const freshDir = (prefix: string) => mkdtempSync(join(scratch, prefix));
  const isolated = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  /** Every run gets a data folder and a home of its own: never the user's. */
  const cli = (args: string[], dataDir = data, env: Record<string, string> = {}) =>
    runCli(['--data-dir', dataDir, ...args], { ...isolated, ...env });
  const takesIn = (dataDir: string) => {
    const library = Library.open(dataDir);
    try {
      return library.listTakes().total;
    } finally {
      library.close();
    }
  };

  it('writes a valid 32 kHz WAV and prints the codes as JSON', async () => {
    const file = join(out, 'take.wav');
    const json = parseJson(
      await cli([
        'generate',
        '--model',
        model,
        '--prompt',
        'warm lo-fi piano, 80 bpm',
        '--max-new-tokens',
        '53',
        '--seed',
        '7',
        '--out',
        file,
        '--json',
      ]),
    );
    expect(json.codes).toHaveLength(4);
    json.codes.forEach((row: number[]) => expect(row).toHaveLength(50));
    expect(json.codes.flat().every((c: number) => Number.isInteger(c) && c >= 0 && c < 2048)).toBe(true);
    expect(json).toMatchObject({ frames: 50, samples: 32000, sampleRate: 32000, channels: 1, seed: 7, device: 'cpu', out: file });
    expect(json.timings.steps).toBe(53);
    expect(json.decoder).toEqual({ mode: 'split', cache: 'two-block' });
    const wav = decodeWav(readFileSync(file));
    expect(wav.sampleRate).toBe(32000);
    expect(wav.channels).toHaveLength(1);
    expect(wav.channels[0]).toHaveLength(32000);
    if (hasSox) {
      const info = execFileSync('soxi', [file], { encoding: 'utf8' });
      expect(info).toMatch(/Sample Rate\s*:\s*32000/);
      expect(info).toMatch(/= 32000 samples/);
    }
  });

  it('converts --seconds to frames at 50 frames per second', async () => {
    const json = parseJson(
      await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '2', '--out', join(out, 's.wav'), '--json']),
    );
    expect(json.frames).toBe(100);
    expect(json.settings.maxNewTokens).toBe(103);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const run = async (seed: number, name: string) => {
      const file = join(out, name);
      const json = parseJson(
        await cli([
          'generate',
          '--model',
          model,
          '--prompt',
          'dusty drums',
          '--seconds',
          '1',
          '--seed',
          String(seed),
          '--out',
          file,
          '--json',
        ]),
      );
      return { json, bytes: readFileSync(file) };
    };
    const a = await run(99, 'a.wav');
    const b = await run(99, 'b.wav');
    const c = await run(100, 'c.wav');
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(c.json.codes).not.toEqual(a.json.codes);
  });

  it('writes one file per variation', async () => {
    const json = parseJson(
      await cli([
        'generate',
        '--model',
        model,
        '--prompt',
        'synth',
        '--seconds',
        '1',
        '--variations',
        '2',
        '--seed',
        '5',
        '--out',
        join(out, 'v.wav'),
        '--json',
      ]),
    );
    expect(json.takes.map((t: { out: string }) => t.out)).toEqual([join(out, 'v-1.wav'), join(out, 'v-2.wav')]);
    expect(json.takes.map((t: { seed: number }) => t.seed)).toEqual([5, 6]);
    expect(existsSync(join(out, 'v-1.wav')) && existsSync(join(out, 'v-2.wav'))).toBe(true);
  });

  it('writes stereo for a stereo model', async () => {
    const file = join(out, 'stereo.wav');
    const json = parseJson(
      await cli([
        'generate',
        '--model',
        testModel('tiny-stereo'),
        '--prompt',
        'wide pads',
        '--seconds',
        '1',
        '--out',
        file,
        '--format',
        'pcm24',
        '--json',
      ]),
    );
    expect(json.codes).toHaveLength(8);
    const wav = decodeWav(readFileSync(file));
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[1]).toHaveLength(json.samples);
  });

  it('falls back to the built-in test model and says it makes noise', async () => {
    const fresh = freshDir('continuo-fresh-');
    const result = await cli(['generate', '--prompt', 'anything', '--seconds', '1', '--out', join(out, 'default.wav'), '--json'], fresh);
    const json = parseJson(result);
    expect(json.model.testModel).toBe(true);
    expect(result.stderr).toContain('makes noise, not music');
    // A command the user can paste from a checkout, accepting the licence the note names.
    expect(result.stderr).toContain('(CC-BY-NC 4.0, non-commercial): npm run -s continuo -- models pull musicgen-small --yes\n');
    expect(readdirSync(join(fresh, 'models'))).toEqual(['continuo-test-tiny']);
  });

  it('runs the variant asked for from its own folder, for a model that keeps one folder per variant', async () => {
    const fresh = freshDir('continuo-variants-');
    const root = join(fresh, 'models', 'musicgen-medium');
    cpSync(model, join(root, 'fp32'), { recursive: true });
    cpSync(model, join(root, 'q8'), { recursive: true });
    renameSync(join(root, 'q8', 'onnx', 'decoder_model_merged.onnx'), join(root, 'q8', 'onnx', 'decoder_model_merged_quantized.onnx'));
    const run = async (variant: string) =>
      parseJson(
        await cli(
          [
            'generate',
            '--model',
            'musicgen-medium',
            '--variant',
            variant,
            '--prompt',
            'x',
            '--seconds',
            '1',
            '--out',
            join(out, `var-${variant}.wav`),
            '--json',
          ],
          fresh,
        ),
      );
    expect((await run('q8')).model).toMatchObject({ id: 'musicgen-medium', variant: 'q8', dir: join(root, 'q8') });
    expect((await run('fp32')).model).toMatchObject({ id: 'musicgen-medium', variant: 'fp32', dir: join(root, 'fp32') });
  });

  it('says which decoder path ran, and why not the fastest, in --json and in words', async () => {
    // The torch-exported fixture's cached branch was traced for one position: a context goes in position by position.
    const exported = freshDir('continuo-exported-');
    cpSync(model, exported, { recursive: true });
    cpSync(
      join(ROOT, 'test', 'fixtures', 'torch-tiny', 'onnx', 'decoder_model_merged.onnx'),
      join(exported, 'onnx', 'decoder_model_merged.onnx'),
    );
    const json = parseJson(
      await cli(['generate', '--model', exported, '--prompt', 'x', '--seconds', '1', '--out', join(out, 'exported.wav'), '--json']),
    );
    expect(json.decoder).toMatchObject({ mode: 'split', cache: 'two-block', note: expect.stringMatching(/position by position/) });
    const text = await cli(['generate', '--model', exported, '--prompt', 'x', '--seconds', '1', '--out', join(out, 'exported2.wav')]);
    expect(text.stdout).toMatch(/; decoder split with the two-block cache: .*position by position/);
  });

  it('cancels on Ctrl-C after the current step and writes nothing', async () => {
    const file = join(out, 'cancelled.wav');
    const { child, done } = startCli(
      ['--data-dir', data, 'generate', '--model', model, '--prompt', 'long', '--max-new-tokens', '2000', '--out', file, '--progress'],
      isolated,
    );
    child.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('step ')) child.kill('SIGINT');
    });
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('cancelled; nothing was written');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('cancelled'))).toEqual([]);
  });

  describe('--out', () => {
    it('through a symlink replaces the file it points to and keeps the link', async () => {
      const real = join(out, 'real-take.wav');
      writeFileSync(real, 'an older take');
      const link = join(out, 'link-take.wav');
      symlinkSync(real, link);
      const json = parseJson(await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '1', '--out', link, '--json']));
      expect(json.out).toBe(link);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(real);
      expect(decodeWav(readFileSync(real)).channels[0]).toHaveLength(json.samples);
    });

    it('through a dangling symlink creates the file it names', async () => {
      const link = join(out, 'dangling.wav');
      symlinkSync('not-yet.wav', link);
      parseJson(await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '1', '--out', link, '--json']));
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(decodeWav(readFileSync(join(out, 'not-yet.wav'))).channels[0]).toHaveLength(32000);
    });
  });

  describe('when the library cannot take the take after generating', () => {
    /** A library whose inserts fail, as a library that breaks while the model runs would. */
    function refusingLibrary(): string {
      const dir = freshDir('continuo-data-');
      Library.open(dir).close();
      const db = new Database(join(dir, 'library.sqlite'));
      db.exec("CREATE TRIGGER refuse_takes BEFORE INSERT ON takes BEGIN SELECT RAISE(ABORT, 'simulated failure while saving'); END");
      db.close();
      return dir;
    }

    it('says the audio is in --out', async () => {
      const dir = refusingLibrary();
      const file = join(out, 'kept.wav');
      const result = await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '1', '--out', file], dir);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `continuo: Could not save the take in the library: simulated failure while saving. The audio is in ${file}.\n`,
      );
      expect(decodeWav(readFileSync(file)).channels[0]).toHaveLength(32000);
      expect(takesIn(dir)).toBe(0);
    });

    it("without --out, keeps the audio and its codes in the data folder's recovered/ and says where", async () => {
      const dir = refusingLibrary();
      const result = await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '1', '--seed', '11'], dir);
      expect(result.code).toBe(1);
      const kept =
        /continuo: Could not save the take in the library: simulated failure while saving\. The audio was kept in (\S+\.wav) \(and its codes beside it, for "continuo continue --codes"\)\./.exec(
          result.stderr,
        );
      expect(kept, result.stderr).not.toBeNull();
      const wav = kept![1];
      expect(wav.startsWith(join(dir, 'recovered'))).toBe(true);
      expect(decodeWav(readFileSync(wav)).channels[0]).toHaveLength(32000);
      const codes = JSON.parse(readFileSync(wav.replace(/\.wav$/, '.json'), 'utf8'));
      expect(codes).toMatchObject({ seed: 11, prompt: 'x' });
      expect(codes.codes).toHaveLength(4);
    });
  });

  describe('on a full disk', () => {
    // A real ENOSPC needs a small file system: a tmpfs, where this machine lets us mount one.
    const mounts: string[] = [];
    let canMount = false;
    function smallDisk(size: string): string {
      const dir = freshDir('continuo-full-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
      mounts.push(dir);
      return dir;
    }
    beforeAll(() => {
      try {
        smallDisk('64k');
        canMount = true;
      } catch {
        canMount = false;
      }
    });
    afterAll(() => {
      for (const dir of mounts) execFileSync('umount', [dir]);
    });

    it('a fresh data folder names the folder and says to free space or choose --data-dir', async ({ skip }) => {
      if (!canMount) skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)');
      const full = smallDisk('1m');
      const result = await cli(['generate', '--prompt', 'x', '--seconds', '1', '--out', join(out, 'never.wav')], full);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `continuo: Could not write the built-in test model into ${join(full, 'models')}: the disk is full. Free some space, or choose another data folder with --data-dir (or CONTINUO_DATA_DIR).`,
      ]);
      expect(existsSync(join(out, 'never.wav'))).toBe(false);
    });

    it('a disk that fills while saving keeps the audio elsewhere and says where', async ({ skip }) => {
      if (!canMount) skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)');
      const full = smallDisk('512k'); // the library fits; five seconds of 32-bit audio (640 kB) do not
      const tmp = freshDir('continuo-tmp-');
      const result = await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '5'], full, { TMPDIR: tmp });
      expect(result.code).toBe(1);
      const line = result.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('note:'));
      expect(line).toHaveLength(1);
      expect(line[0]).toMatch(
        new RegExp(
          `^continuo: Could not save the take in the library: Could not write ${full}/audio/.*\\.wav: the disk is full\\. Free some space .*--data-dir.*The audio was kept in ${tmp}/continuo-recovered/\\S+\\.wav`,
        ),
      );
      const wav = /kept in (\S+\.wav)/.exec(line[0])![1];
      expect(decodeWav(readFileSync(wav)).channels[0]).toHaveLength(5 * 32000);
    });
  });

  describe('relative paths', () => {
    it('resolve against the folder the command was typed in, also under "npm run"', async () => {
      const typedIn = freshDir('continuo-typed-in-');
      // npm runs the script in the package root and passes the user's folder as INIT_CWD.
      const result = await new Promise<CliResult>((resolve) => {
        const child = spawn(
          'npm',
          [
            '--prefix',
            ROOT,
            'run',
            '-s',
            'continuo',
            '--',
            '--data-dir',
            'my-data',
            'generate',
            '--model',
            model,
            '--prompt',
            'x',
            '--seconds',
            '1',
            '--out',
            'rel-take.wav',
            '--json',
          ],
          {
            cwd: typedIn,
            env: { ...process.env, ...isolated },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      try {
        const json = parseJson(result);
        expect(json.out).toBe(join(typedIn, 'rel-take.wav'));
        expect(decodeWav(readFileSync(join(typedIn, 'rel-take.wav'))).channels[0]).toHaveLength(32000);
        expect(takesIn(join(typedIn, 'my-data'))).toBe(1);
        expect(existsSync(join(ROOT, 'rel-take.wav'))).toBe(false);
        expect(existsSync(join(ROOT, 'my-data'))).toBe(false);
      } finally {
        rmSync(join(ROOT, 'rel-take.wav'), { force: true });
        rmSync(join(ROOT, 'my-data'), { recursive: true, force: true });
      }
    });

    it('trust INIT_CWD only while running where npm started the script', () => {
      const env = { INIT_CWD: '/home/me/music', npm_package_json: '/work/continuo/package.json' };
      expect(userCwd(env, '/work/continuo')).toBe('/home/me/music');
      // Inherited by a process started elsewhere: the real working folder wins.
      expect(userCwd(env, '/somewhere/else')).toBe('/somewhere/else');
      expect(userCwd({}, '/somewhere/else')).toBe('/somewhere/else');
    });
  });
});
