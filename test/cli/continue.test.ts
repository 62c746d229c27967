import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli';
import { tempDir, testModel } from '../helpers/models';

describe('continuo continue', () => {
  const model = testModel('tiny');
  const out = tempDir();

  async function generated(name: string) {
    const file = join(out, `${name}.wav`);
    const json = parseJson(await runCli(['generate', '--model', model, '--prompt', 'funk bass groove', '--seconds', '2', '--seed', '21', '--out', file, '--json']));
    writeFileSync(join(out, `${name}.json`), JSON.stringify(json));
    return { json, wav: file, codesFile: join(out, `${name}.json`) };
  }

  it('continues from stored codes: context unchanged, then max_new_tokens + 1 - K frames', async () => {
    const source = await generated('base');
    const json = parseJson(await runCli(['continue', '--model', model, '--codes', source.codesFile, '--prompt', 'funk bass groove', '--max-new-tokens', '30', '--seed', '3', '--out', join(out, 'cont.wav'), '--json']));
    expect(json.contextFrames).toBe(100);
    expect(json.frames).toBe(100 + 30 + 1 - 4);
    expect(json.codes.map((r: number[]) => r.slice(0, 100))).toEqual(source.json.codes);
    expect(json.samples).toBe(json.frames * 640);
  });

  it('continues from a selected region', async () => {
    const source = await generated('region');
    const json = parseJson(await runCli(['continue', '--model', model, '--codes', source.codesFile, '--from', '0.5', '--to', '1.5', '--prompt', 'x', '--max-new-tokens', '10', '--out', join(out, 'r.wav'), '--json']));
    expect(json.contextFrames).toBe(50);
    expect(json.codes.map((r: number[]) => r.slice(0, 50))).toEqual(source.json.codes.map((r: number[]) => r.slice(25, 75)));
  });

  it('continues from audio by encoding it first (round trip to the same codes)', async () => {
    const source = await generated('audio');
    const json = parseJson(await runCli(['continue', '--model', model, '--audio', source.wav, '--prompt', 'funk bass groove', '--max-new-tokens', '10', '--out', join(out, 'a.wav'), '--json']));
    expect(json.contextFrames).toBe(100);
    // 16-bit WAV quantisation is far below the codec's quantiser spacing.
    expect(json.codes.map((r: number[]) => r.slice(0, 100))).toEqual(source.json.codes);
  });
});
