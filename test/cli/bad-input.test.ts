/** Every bad input gets one clear line on stderr, a non-zero exit and no output file. */
import { cpSync, existsSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { tempDir, testModel } from '../helpers/models';

describe('bad input', () => {
  const good = testModel('tiny');
  const work = tempDir();
  let n = 0;

  function brokenModel(breakIt: (dir: string) => void): string {
    const dir = join(work, `model-${n++}`);
    cpSync(good, dir, { recursive: true });
    breakIt(dir);
    return dir;
  }

  async function expectFailure(args: string[], message: string | RegExp) {
    const out = join(work, `out-${n++}.wav`);
    const result = await runCli([...args, '--out', out]);
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('note:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
    return lines[0];
  }

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
    await expectFailure(gen(dir), /decoder_model_merged\.onnx could not be loaded: it looks truncated or corrupt.*download the model again/);
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
    const result = await runCli(['generate', '--model', good, '--prompt', 'p', '--seed', 'abc', '--out', join(work, 'x.wav')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--seed.*expected a whole number/);
  });

  it('unreadable audio for continuation', async () => {
    const bad = join(work, 'noise.wav');
    writeFileSync(bad, Buffer.from('this is not audio at all, just text pretending'));
    const line = await expectFailure(['continue', '--model', good, '--audio', bad, '--prompt', 'p', '--max-new-tokens', '10'], /noise\.wav/);
    expect(line.length).toBeGreaterThan(20);
  });

  it('missing audio file for continuation', async () => {
    await expectFailure(['continue', '--model', good, '--audio', join(work, 'absent.wav'), '--prompt', 'p', '--max-new-tokens', '10'], /absent\.wav/);
  });

  it('codes file without codes', async () => {
    const f = join(work, 'nocodes.json');
    writeFileSync(f, JSON.stringify({ hello: 1 }));
    await expectFailure(['continue', '--model', good, '--codes', f, '--prompt', 'p', '--max-new-tokens', '10'], /nocodes\.json holds no audio codes/);
  });

  it('output folder that does not exist', async () => {
    const out = join(work, 'no-such-folder', 'x.wav');
    const result = await runCli(['generate', '--model', good, '--prompt', 'p', '--seconds', '1', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Could not write .*x\.wav: its folder does not exist/);
  });

  it('an empty prompt is fine', async () => {
    const out = join(work, 'empty.wav');
    const result = await runCli(['generate', '--model', good, '--prompt', '', '--seconds', '1', '--out', out]);
    expect(result.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('a huge prompt is truncated to the text encoder limit with a warning', async () => {
    const out = join(work, 'huge.wav');
    const result = await runCli(['generate', '--model', good, '--prompt', 'piano '.repeat(3000), '--seconds', '1', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: Prompt 1 is longer than the text encoder's 512 tokens; only its beginning is used/);
    expect(existsSync(out)).toBe(true);
  });
});
