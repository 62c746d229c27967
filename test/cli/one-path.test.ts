/**
 * The CLI is a client of the services, as the studio is: a long `generate` runs in windows through
 * jobs/generate (the same codes as calling the services directly), --no-save leaves nothing in the
 * library, and Ctrl-C is jobs/cancel.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { createServices } from '../../src/main/services';
import { describeProgress, progressPrinter } from '../../src/cli/progress';
import { parseJson, runCli, startCli } from '../helpers/cli';
import { finished } from '../helpers/services';
import { tempDir, testModel } from '../helpers/models';

describe('the CLI through the services', () => {
  const scratch = tempDir();
  const home = tempDir('continuo-home-');
  const fresh = (prefix: string) => mkdtempSync(join(scratch, prefix));
  const cli = (args: string[], dataDir: string, env: Record<string, string> = {}) =>
    runCli(['--data-dir', dataDir, ...args], { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...env });
  /** What Continuo left in a temporary folder (tsx and onnxruntime leave files of their own). */
  const ours = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('continuo'));
  /** Rows and audio files in a data folder's library. */
  const libraryState = (dataDir: string) => {
    const db = new Database(join(dataDir, 'library.sqlite'), { readonly: true });
    try {
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const audio = join(dataDir, 'audio');
      const files = existsSync(audio) ? readdirSync(audio, { recursive: true }).filter((f) => String(f).endsWith('.wav')) : [];
      return { takes: count('takes'), jobs: count('jobs'), files: files.length };
    } finally {
      db.close();
    }
  };

  it('generates 120 s on the built-in test model in windows, with the codes the services give for the same request', async () => {
    const data = fresh('continuo-data-');
    const file = join(scratch, 'long.wav');
    const result = await cli(
      ['generate', '--prompt', 'slow ambient swell', '--seconds', '120', '--seed', '17', '--progress', '--out', file, '--json'],
      data,
    );
    const json = parseJson(result);
    expect(json).toMatchObject({ frames: 6000, samples: 120 * 32000, seconds: 120, seed: 17, model: { testModel: true } });
    expect(json.settings).toMatchObject({ maxNewTokens: 6000 + 4 - 1, seed: 17 });
    expect(decodeWav(readFileSync(file)).channels[0]).toHaveLength(120 * 32000);
    // 30 s, then five more windows of 18 s each continuing from the last 12 s.
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('Generating: step '));
    for (let w = 1; w <= 6; w++)
      expect(
        lines.some((l) => l.includes(`, window ${w}/6,`)),
        `window ${w}`,
      ).toBe(true);
    expect(lines.at(-1)).toMatch(/^Generating: step (\d+)\/\1 \(100%\), window 6\/6, done$/);

    const services = createServices({ dataDir: data });
    try {
      const job = await services.call('jobs/generate', { prompt: 'slow ambient swell', seconds: 120, seed: 17 });
      const done = await finished(services, job.id);
      expect(done.status).toBe('done');
      expect(services.library.getCodes(done.takeIds[0])).toEqual(json.codes);
      expect(services.library.getCodes(json.takeId)).toEqual(json.codes);
    } finally {
      await services.close();
    }
  });

  it('a batch of prompts is one job per prompt: take i has seed + i and its own --out file', async () => {
    const data = fresh('continuo-data-');
    const json = parseJson(
      await cli(
        [
          'generate',
          '--model',
          testModel('tiny'),
          '--prompt',
          'bass',
          '--prompt',
          'drums',
          '--variations',
          '2',
          '--seconds',
          '0.5',
          '--seed',
          '5',
          '--out',
          join(scratch, 'batch.wav'),
          '--json',
        ],
        data,
      ),
    );
    const takes = json.takes as { prompt: string; seed: number; out: string; takeId: string }[];
    expect(takes.map((t) => [t.prompt, t.seed])).toEqual([
      ['bass', 5],
      ['bass', 6],
      ['drums', 7],
      ['drums', 8],
    ]);
    expect(takes.map((t) => t.out)).toEqual([1, 2, 3, 4].map((i) => join(scratch, `batch-${i}.wav`)));
    expect(json.settings).toMatchObject({ seed: 5, variations: 2 });
    expect(libraryState(data)).toEqual({ takes: 4, jobs: 2, files: 4 });
  });

  it('--no-save leaves no row, job or audio file in the library, and no temporary library behind', async () => {
    const data = fresh('continuo-data-');
    const tmp = fresh('continuo-tmp-');
    const model = testModel('tiny');
    const kept = parseJson(await cli(['generate', '--model', model, '--prompt', 'x', '--seconds', '1', '--json'], data));
    const before = libraryState(data);
    expect(before).toEqual({ takes: 1, jobs: 1, files: 1 });

    const file = join(scratch, 'unsaved.wav');
    const json = parseJson(
      await cli(['generate', '--model', model, '--prompt', 'y', '--seconds', '1', '--no-save', '--out', file, '--json'], data, {
        TMPDIR: tmp,
      }),
    );
    expect(json.takeId).toBeNull();
    expect(decodeWav(readFileSync(file)).channels[0]).toHaveLength(32000);
    // Continuing a library take without saving reads it from the library and leaves the library as it was.
    const next = join(scratch, 'unsaved-next.wav');
    const continued = parseJson(
      await cli(
        ['continue', '--model', model, '--take', kept.takeId.slice(0, 8), '--seconds', '0.5', '--no-save', '--out', next, '--json'],
        data,
        { TMPDIR: tmp },
      ),
    );
    expect(continued).toMatchObject({ takeId: null, contextFrames: 50, frames: 75 });
    expect(continued.codes.map((row: number[]) => row.slice(0, 50))).toEqual(kept.codes);
    expect(libraryState(data)).toEqual(before);
    expect(ours(tmp)).toEqual([]);

    // A fresh data folder gets the built-in test model and nothing else.
    const empty = fresh('continuo-data-');
    parseJson(await cli(['generate', '--prompt', 'z', '--seconds', '1', '--no-save', '--out', file, '--json'], empty, { TMPDIR: tmp }));
    expect(readdirSync(empty)).toEqual(['models']);
    expect(ours(tmp)).toEqual([]);
  });

  it('Ctrl-C cancels a long run through the services: exit 130, no --out, no take', async () => {
    const data = fresh('continuo-data-');
    const out = fresh('continuo-out-');
    const file = join(out, 'cancelled.wav');
    const { child, done } = startCli(
      ['--data-dir', data, 'generate', '--model', testModel('tiny'), '--prompt', 'long', '--seconds', '120', '--progress', '--out', file],
      { HOME: home, XDG_CONFIG_HOME: join(home, '.config') },
    );
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => {
      // Past the first window, so the cancel reaches a job in the middle of its long form.
      if (!sent && d.toString().includes('window 2/')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const result = await done;
    expect(sent).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Cancelling after the current step');
    expect(result.stderr).toContain('continuo: cancelled; nothing was written.');
    expect(readdirSync(out)).toEqual([]);
    expect(libraryState(data)).toEqual({ takes: 0, jobs: 1, files: 0 });
    const db = new Database(join(data, 'library.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT status FROM jobs').get()).toEqual({ status: 'cancelled' });
    } finally {
      db.close();
    }
  });
});

describe('progress', () => {
  const progress = { step: 1200, total: 6015, etaMs: 4200, elapsedMs: 1000, window: 2, windows: 6 };

  it('names the window of a long generation, and not of a short one', () => {
    expect(describeProgress('Generating', progress)).toBe('Generating: step 1200/6015 (19%), window 2/6, ETA 5 s');
    expect(describeProgress('Continuing', { ...progress, step: 10, total: 10, window: 1, windows: 1 })).toBe(
      'Continuing: step 10/10 (100%), done',
    );
  });

  it('draws a bar in place on a terminal and ends its line', () => {
    let written = '';
    const stream = { write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const printer = progressPrinter('tty', 'Generating', stream);
    printer.update(progress);
    printer.done();
    expect(written).toBe('\r[#####-------------------] Generating: step 1200/6015 (19%), window 2/6, ETA 5 s\u001b[K\n');
  });
});
