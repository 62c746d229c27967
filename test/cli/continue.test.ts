import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library';
import { sparseWav } from '../audio/fixtures';
import { parseJson, runCli } from '../helpers/cli';
import { tempDir, testModel } from '../helpers/models';

describe('continuo continue', () => {
  const model = testModel('tiny');
  const out = tempDir();
  const data = tempDir('continuo-data-');
  const home = tempDir('continuo-home-');
  const scratch = tempDir();
  /** A new folder inside this file's temp folder (tempDir inside a test would not be cleaned up). */
  const freshDir = (prefix: string) => mkdtempSync(join(scratch, prefix));
  /** Every run gets its own data folder and home: never the user's. */
  const cli = (args: string[], dataDir = data) =>
    runCli(['--data-dir', dataDir, ...args], { HOME: home, XDG_CONFIG_HOME: join(home, '.config') });
  const takesIn = (dataDir: string) => {
    const library = Library.open(dataDir);
    try {
      return library.listTakes().total;
    } finally {
      library.close();
    }
  };

  async function generated(name: string) {
    const file = join(out, `${name}.wav`);
    const json = parseJson(
      await cli(['generate', '--model', model, '--prompt', 'funk bass groove', '--seconds', '2', '--seed', '21', '--out', file, '--json']),
    );
    writeFileSync(join(out, `${name}.json`), JSON.stringify(json));
    return { json, wav: file, codesFile: join(out, `${name}.json`) };
  }

  it('continues from stored codes: context unchanged, then max_new_tokens + 1 - K frames', async () => {
    const source = await generated('base');
    const json = parseJson(
      await cli([
        'continue',
        '--model',
        model,
        '--codes',
        source.codesFile,
        '--prompt',
        'funk bass groove',
        '--max-new-tokens',
        '30',
        '--seed',
        '3',
        '--out',
        join(out, 'cont.wav'),
        '--json',
      ]),
    );
    expect(json.contextFrames).toBe(100);
    expect(json.frames).toBe(100 + 30 + 1 - 4);
    expect(json.codes.map((r: number[]) => r.slice(0, 100))).toEqual(source.json.codes);
    expect(json.samples).toBe(json.frames * 640);
  });

  it('continues from a selected region', async () => {
    const source = await generated('region');
    const json = parseJson(
      await cli([
        'continue',
        '--model',
        model,
        '--codes',
        source.codesFile,
        '--from',
        '0.5',
        '--to',
        '1.5',
        '--prompt',
        'x',
        '--max-new-tokens',
        '10',
        '--out',
        join(out, 'r.wav'),
        '--json',
      ]),
    );
    expect(json.contextFrames).toBe(50);
    expect(json.codes.map((r: number[]) => r.slice(0, 50))).toEqual(source.json.codes.map((r: number[]) => r.slice(25, 75)));
  });

  it('continues from audio by encoding it first (round trip to the same codes)', async () => {
    const source = await generated('audio');
    const json = parseJson(
      await cli([
        'continue',
        '--model',
        model,
        '--audio',
        source.wav,
        '--prompt',
        'funk bass groove',
        '--max-new-tokens',
        '10',
        '--out',
        join(out, 'a.wav'),
        '--json',
      ]),
    );
    expect(json.contextFrames).toBe(100);
    // 16-bit WAV quantisation is far below the codec's quantiser spacing.
    expect(json.codes.map((r: number[]) => r.slice(0, 100))).toEqual(source.json.codes);
  });

  it('continues a library take from its stored codes and links the new take to it', async () => {
    const source = await generated('take');
    const parent = source.json.takeId as string;
    const json = parseJson(
      await cli([
        'continue',
        '--model',
        model,
        '--take',
        parent.slice(0, 8),
        '--from',
        '0.5',
        '--to',
        '1.5',
        '--prompt',
        'x',
        '--max-new-tokens',
        '10',
        '--out',
        join(out, 't.wav'),
        '--json',
      ]),
    );
    expect(json.contextFrames).toBe(50);
    expect(json.codes.map((r: number[]) => r.slice(0, 50))).toEqual(source.json.codes.map((r: number[]) => r.slice(25, 75)));
    const library = Library.open(data);
    try {
      expect(library.getTake(json.takeId)).toMatchObject({ parentId: parent, region: { start: 0.5, end: 1.5 } });
    } finally {
      library.close();
    }
    const late = await cli([
      'continue',
      '--model',
      model,
      '--take',
      parent,
      '--from',
      '3',
      '--prompt',
      'x',
      '--max-new-tokens',
      '10',
      '--out',
      join(out, 't2.wav'),
    ]);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain(`continuo: --from 3 s starts after the end of take ${parent} (2.0 s)`);
  });

  describe('a long recording', () => {
    const long = join(out, 'ten-minutes.wav');
    sparseWav(long, 600); // 10 minutes of 44.1 kHz stereo: 106 MB, 212 MB once decoded

    it('is refused from its header, in seconds, naming --from/--to and a region that fits', async () => {
      const fresh = freshDir('continuo-data-');
      const file = join(out, 'too-long.wav');
      const result = await cli(['continue', '--model', model, '--audio', long, '--prompt', 'p', '--seconds', '10', '--out', file], fresh);
      expect(result.code).toBe(2);
      // The services continue within a 30 s window (1500 frames): 10 s of new audio leave 20 s of context.
      expect(
        result.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('note:')),
      ).toEqual([
        `continuo: The context is 600.0 s but the model can continue from at most 20.0 s (with 10.0 s of new audio): pick a region with --from/--to, e.g. --from 580 --to 600, or ask for fewer --seconds.`,
      ]);
      expect(existsSync(file)).toBe(false);
      expect(takesIn(fresh)).toBe(0);
    });

    it('continues from its last ten seconds', async () => {
      const json = parseJson(
        await cli([
          'continue',
          '--model',
          model,
          '--audio',
          long,
          '--from',
          '590',
          '--to',
          '600',
          '--prompt',
          'p',
          '--max-new-tokens',
          '10',
          '--out',
          join(out, 'tail.wav'),
          '--json',
        ]),
      );
      expect(json.contextFrames).toBe(500);
      expect(json.region).toEqual({ from: 590, to: 600 });
    });
  });

  it('says a --from past the end starts after the end of the file (not a --to nobody typed)', async () => {
    const source = await generated('short');
    const result = await cli([
      'continue',
      '--model',
      model,
      '--audio',
      source.wav,
      '--from',
      '5',
      '--prompt',
      'p',
      '--max-new-tokens',
      '10',
      '--out',
      join(out, 'late.wav'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `continuo: --from 5 s starts after the end of the 2.0 s file ${source.wav}: there is nothing to continue from there. Pick a start before 2.0 s.\n`,
    );
    expect(result.stderr).not.toContain('--to');
    const codes = await cli([
      'continue',
      '--model',
      model,
      '--codes',
      source.codesFile,
      '--from',
      '2',
      '--prompt',
      'p',
      '--max-new-tokens',
      '10',
      '--out',
      join(out, 'late.wav'),
    ]);
    expect(codes.stderr).toContain(`continuo: --from 2 s starts at the end of the 2.0 s of codes in ${source.codesFile}`);
  });
});
