import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { parseJson, runCli, startCli } from '../helpers/cli';
import { tempDir, testModel } from '../helpers/models';

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

  it('writes a valid 32 kHz WAV and prints the codes as JSON', async () => {
    const file = join(out, 'take.wav');
    const json = parseJson(await runCli(['--data-dir', data, 'generate', '--model', model, '--prompt', 'warm lo-fi piano, 80 bpm', '--max-new-tokens', '53', '--seed', '7', '--out', file, '--json']));
    expect(json.codes).toHaveLength(4);
    json.codes.forEach((row: number[]) => expect(row).toHaveLength(50));
    expect(json.codes.flat().every((c: number) => Number.isInteger(c) && c >= 0 && c < 2048)).toBe(true);
    expect(json).toMatchObject({ frames: 50, samples: 32000, sampleRate: 32000, channels: 1, seed: 7, device: 'cpu', out: file });
    expect(json.timings.steps).toBe(53);
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
    const json = parseJson(await runCli(['generate', '--model', model, '--prompt', 'x', '--seconds', '2', '--out', join(out, 's.wav'), '--json']));
    expect(json.frames).toBe(100);
    expect(json.settings.maxNewTokens).toBe(103);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const run = async (seed: number, name: string) => {
      const file = join(out, name);
      const json = parseJson(await runCli(['generate', '--model', model, '--prompt', 'dusty drums', '--seconds', '1', '--seed', String(seed), '--out', file, '--json']));
      return { json, bytes: readFileSync(file) };
    };
    const a = await run(99, 'a.wav');
    const b = await run(99, 'b.wav');
    const c = await run(100, 'c.wav');
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(c.json.codes).not.toEqual(a.json.codes);
  });

  it('writes one file per variation', async () => {
    const json = parseJson(await runCli(['generate', '--model', model, '--prompt', 'synth', '--seconds', '1', '--variations', '2', '--seed', '5', '--out', join(out, 'v.wav'), '--json']));
    expect(json.takes.map((t: { out: string }) => t.out)).toEqual([join(out, 'v-1.wav'), join(out, 'v-2.wav')]);
    expect(json.takes.map((t: { seed: number }) => t.seed)).toEqual([5, 6]);
    expect(existsSync(join(out, 'v-1.wav')) && existsSync(join(out, 'v-2.wav'))).toBe(true);
  });

  it('writes stereo for a stereo model', async () => {
    const file = join(out, 'stereo.wav');
    const json = parseJson(await runCli(['generate', '--model', testModel('tiny-stereo'), '--prompt', 'wide pads', '--seconds', '1', '--out', file, '--format', 'pcm24', '--json']));
    expect(json.codes).toHaveLength(8);
    const wav = decodeWav(readFileSync(file));
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[1]).toHaveLength(json.samples);
  });

  it('falls back to the built-in test model and says it makes noise', async () => {
    const fresh = tempDir('continuo-fresh-');
    const result = await runCli(['--data-dir', fresh, 'generate', '--prompt', 'anything', '--seconds', '1', '--out', join(out, 'default.wav'), '--json']);
    const json = parseJson(result);
    expect(json.model.testModel).toBe(true);
    expect(result.stderr).toContain('makes noise, not music');
    // A command the user can paste from a checkout, accepting the licence the note names.
    expect(result.stderr).toContain('(CC-BY-NC 4.0, non-commercial): npm run -s continuo -- models pull musicgen-small --yes\n');
    expect(readdirSync(join(fresh, 'models'))).toEqual(['continuo-test-tiny']);
  });

  it('cancels on Ctrl-C after the current step and writes nothing', async () => {
    const file = join(out, 'cancelled.wav');
    const { child, done } = startCli(['generate', '--model', model, '--prompt', 'long', '--max-new-tokens', '2000', '--out', file, '--progress']);
    child.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('step ')) child.kill('SIGINT');
    });
    const result = await done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('cancelled; nothing was written');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('cancelled'))).toEqual([]);
  });
});
