/** Every bad input gets one clear line on stderr, a non-zero exit and no output file. */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/main/audio';
import { Library } from '../../src/main/library';
import { scramble, silentMp3 } from '../audio/fixtures';
import { runCli } from '../helpers/cli';
import { tempDir, testModel } from '../helpers/models';

describe('bad input', () => {
  const good = testModel('tiny');
  const work = tempDir();
  const data = tempDir('continuo-data-');
  const home = tempDir('continuo-home-');
  const scratch = tempDir();
  /** A new folder inside this file's temp folder (tempDir inside a test would not be cleaned up). */
  const freshDir = (prefix: string) => mkdtempSync(join(scratch, prefix));
  let n = 0;

  /** Every run gets a data folder and a home of its own: never the user's. */
  const cli = (args: string[], dataDir = data) =>
    runCli(['--data-dir', dataDir, ...args], { HOME: home, XDG_CONFIG_HOME: join(home, '.config') });

  function brokenModel(breakIt: (dir: string) => void): string {
    const dir = join(work, `model-${n++}`);
    cpSync(good, dir, { recursive: true });
    breakIt(dir);
    return dir;
  }

  async function expectFailure(args: string[], message: string | RegExp, dataDir = data) {
    const out = join(work, `out-${n++}.wav`);
    const result = await cli([...args, '--out', out], dataDir);
    expect(result.code).not.toBe(0);
    const lines = result.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('note:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
    return lines[0];
  }

  const takesIn = (dataDir: string) => {
    const library = Library.open(dataDir);
    try {
      return library.listTakes().total;
    } finally {
      library.close();
    }
  };

  const gen = (model: string, ...rest: string[]) => ['generate', '--model', model, '--prompt', 'p', '--seconds', '1', ...rest];

  it('missing ONNX file', async () => {
    const dir = brokenModel((d) => rmSync(join(d, 'onnx/decoder_model_merged.onnx')));
    const line = await expectFailure(gen(dir), /decoder_model_merged\.onnx is missing/);
    expect(line).toContain(dir);
  });

  it('truncated ONNX file', async () => {
    const dir = brokenModel((d) => {
      const f = join(d, 'onnx/decoder_model_merged.onnx');
      truncateSync(f, Math.floor(statSync(f).size / 2));
    });
    await expectFailure(
      gen(dir),
      /decoder_model_merged\.onnx could not be loaded: it looks truncated or corrupt.*download the model again/,
    );
  });

  it('wrong config', async () => {
    const dir = brokenModel((d) => {
      const config = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      config.model_type = 'bert';
      writeFileSync(join(d, 'config.json'), JSON.stringify(config));
    });
    await expectFailure(gen(dir), /config\.json is not a MusicGen config at "model_type"/);
  });

  it('config that is not JSON', async () => {
    const dir = brokenModel((d) => writeFileSync(join(d, 'config.json'), '{ nope'));
    await expectFailure(gen(dir), /config\.json is not valid JSON/);
  });

  it('tokenizer missing', async () => {
    const dir = brokenModel((d) => rmSync(join(d, 'tokenizer.json')));
    await expectFailure(gen(dir), /tokenizer\.json is missing: the model has no tokenizer/);
  });

  it('model folder that does not exist', async () => {
    await expectFailure(gen(join(work, 'nowhere')), /No model folder at .*nowhere/);
  });

  it('--max-new-tokens below the number of codebooks', async () => {
    await expectFailure(['generate', '--model', good, '--prompt', 'p', '--max-new-tokens', '3'], /--max-new-tokens must be at least 4/);
  });

  it('missing prompt', async () => {
    await expectFailure(['generate', '--model', good, '--seconds', '1'], /Missing --prompt/);
  });

  it('non-numeric option', async () => {
    const result = await cli(['generate', '--model', good, '--prompt', 'p', '--seed', 'abc', '--out', join(work, 'x.wav')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--seed.*expected a whole number/);
  });

  it('unreadable audio for continuation', async () => {
    const bad = join(work, 'noise.wav');
    writeFileSync(bad, Buffer.from('this is not audio at all, just text pretending'));
    const line = await expectFailure(
      ['continue', '--model', good, '--audio', bad, '--prompt', 'p', '--max-new-tokens', '10'],
      /noise\.wav/,
    );
    expect(line.length).toBeGreaterThan(20);
  });

  it('missing audio file for continuation', async () => {
    await expectFailure(
      ['continue', '--model', good, '--audio', join(work, 'absent.wav'), '--prompt', 'p', '--max-new-tokens', '10'],
      /absent\.wav/,
    );
  });

  it('codes file without codes', async () => {
    const f = join(work, 'nocodes.json');
    writeFileSync(f, JSON.stringify({ hello: 1 }));
    await expectFailure(
      ['continue', '--model', good, '--codes', f, '--prompt', 'p', '--max-new-tokens', '10'],
      /nocodes\.json holds no audio codes/,
    );
  });

  it('output folder that does not exist', async () => {
    const out = join(work, 'no-such-folder', 'x.wav');
    const result = await cli(['generate', '--model', good, '--prompt', 'p', '--seconds', '1', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Could not write .*x\.wav: its folder does not exist/);
  });

  it('an empty prompt is fine', async () => {
    const out = join(work, 'empty.wav');
    const result = await cli(['generate', '--model', good, '--prompt', '', '--seconds', '1', '--out', out]);
    expect(result.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('a huge prompt is truncated to the text encoder limit with a warning', async () => {
    const out = join(work, 'huge.wav');
    const result = await cli(['generate', '--model', good, '--prompt', 'piano '.repeat(3000), '--seconds', '1', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: Prompt 1 is longer than the text encoder's 512 tokens; only its beginning is used/);
    expect(existsSync(out)).toBe(true);
  });

  describe('audio that is not usable as a context', () => {
    const cont = (audio: string) => ['continue', '--model', good, '--audio', audio, '--prompt', 'p', '--max-new-tokens', '10'];

    it("a damaged MP3 is refused with the decoder's complaint, and nothing is saved", async () => {
      const fresh = freshDir('continuo-data-');
      const mp3 = join(work, 'damaged.mp3');
      writeFileSync(mp3, scramble(silentMp3(200), 4000, 80_000));
      const line = await expectFailure(
        cont(mp3),
        /^continuo: ".*damaged\.mp3" is damaged: the decoder hit \d+ errors \(.*\) and could only patch over them .*export it again/,
        fresh,
      );
      expect(line).not.toMatch(/^mpg123/);
      expect(takesIn(fresh)).toBe(0);
    });

    it('a WAV with no samples', async () => {
      const empty = join(work, 'empty-audio.wav');
      writeFileSync(empty, encodeWav({ sampleRate: 44100, channels: [new Float32Array(0)] }));
      await expectFailure(cont(empty), /^continuo: ".*empty-audio\.wav" holds no audio \(0 samples\)\. Choose another file/);
    });

    it('a WAV of NaN and infinite samples', async () => {
      const nan = join(work, 'nan.wav');
      writeFileSync(
        nan,
        encodeWav({ sampleRate: 32000, channels: [new Float32Array(32000).fill(Number.NaN).fill(Infinity, 100, 200)] }, 'float32'),
      );
      await expectFailure(cont(nan), /^continuo: ".*nan\.wav" holds no usable audio: every sample is NaN or infinite/);
    });
  });

  describe('checked before generating', () => {
    it('a damaged library: reported before the model runs, nothing written', async () => {
      const damaged = freshDir('continuo-data-');
      writeFileSync(join(damaged, 'library.sqlite'), Buffer.alloc(8192, 0x5a));
      // --progress would print step lines if generation started.
      await expectFailure(
        ['generate', '--model', good, '--prompt', 'p', '--seconds', '1', '--progress'],
        /^continuo: Could not open the library at .*library\.sqlite: it is not a Continuo library \(or it is damaged\)\. Nothing was generated\. .*--data-dir.*--no-save/,
        damaged,
      );
    });

    it('a file where the data folder should be', async () => {
      const notAFolder = join(work, 'data-is-a-file');
      writeFileSync(notAFolder, 'oops');
      await expectFailure(
        ['generate', '--prompt', 'p', '--seconds', '1', '--progress'],
        /^continuo: Could not write the built-in test model into .*data-is-a-file\/models: a file is in the way where a folder should be\. Move that file, or choose another data folder with --data-dir/,
        notAFolder,
      );
    });

    it('--out onto a named pipe is refused, and the pipe stays a pipe', async () => {
      const fifo = join(work, 'pipe.wav');
      execFileSync('mkfifo', [fifo]);
      const result = await cli(['generate', '--model', good, '--prompt', 'p', '--seconds', '1', '--progress', '--out', fifo]);
      expect(result.code).toBe(1);
      expect(
        result.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('note:')),
      ).toEqual([
        `continuo: Cannot write ${fifo}: it is a named pipe (FIFO), not a file. Continuo writes whole files (a temporary file renamed into place), so it cannot write into it. Give the name of a regular file.`,
      ]);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    });

    it('--out onto a folder is refused', async () => {
      const folder = join(work, 'a-folder.wav');
      mkdirSync(folder);
      const result = await cli(['generate', '--model', good, '--prompt', 'p', '--seconds', '1', '--progress', '--out', folder]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `continuo: Cannot write ${folder}: it is a folder. Give a file name, e.g. --out ${join(folder, 'take.wav')}.\n`,
      );
      expect(result.stderr).not.toContain('step');
      expect(statSync(folder).isDirectory()).toBe(true);
    });
  });
});
