/**
 * Model files that disagree with each other or with config.json fail at load with a message that
 * names the file at fault and says what to do, not as a raw onnxruntime error mid-generation.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { MusicgenEngine } from '../../src/main/engine';
import { tempDir, testModel } from '../helpers/models';

const { onnx } = onnxProto;
const ROOT = join(import.meta.dirname, '..', '..');
/** The escape character that starts a terminal colour code. */
const ESC = String.fromCharCode(27);

describe('model files that disagree', () => {
  const source = testModel('tiny');
  const work = tempDir();
  let n = 0;

  function broken(breakIt: (dir: string) => void): string {
    const dir = join(work, `m${n++}`);
    cpSync(source, dir, { recursive: true });
    breakIt(dir);
    return dir;
  }

  const editConfig = (edit: (config: any) => void) => (dir: string) => {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    edit(config);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  };

  const swap = (a: string, b: string) => (dir: string) => {
    renameSync(join(dir, a), join(dir, 'swap.tmp'));
    renameSync(join(dir, b), join(dir, a));
    renameSync(join(dir, 'swap.tmp'), join(dir, b));
  };

  const loadError = async (dir: string) => {
    const error = await MusicgenEngine.load(dir, { device: 'cpu' }).then(
      (engine) => (engine.dispose(), undefined),
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).not.toContain(ESC);
    return error as Error & { code: string; file?: string };
  };

  it('num_codebooks that the codec does not have names config.json and the codec file', async () => {
    const dir = broken(editConfig((c) => (c.decoder.num_codebooks = 7)));
    const error = await loadError(dir);
    expect(error.message).toBe(
      `${join(dir, 'config.json')} says num_codebooks is 7, but ${join(dir, 'onnx/encodec_decode.onnx')} handles 4 codebooks: config.json and the model files do not belong together. Download the model again (continuo models pull).`,
    );
    expect(error).toMatchObject({ code: 'model-file-mismatch', file: join(dir, 'config.json') });
  });

  it('swapped text encoder and codec decoder name the file and what it looks like', async () => {
    const dir = broken(swap('onnx/text_encoder.onnx', 'onnx/encodec_decode.onnx'));
    const error = await loadError(dir);
    expect(error.message).toBe(
      `${join(dir, 'onnx/text_encoder.onnx')} declares inputs [audio_codes] and outputs [audio_values], but a text encoder takes input_ids (and attention_mask) ` +
        'and returns last_hidden_state; it looks like the codec decoder (encodec_decode.onnx): the files look swapped or damaged. Download the model again (continuo models pull).',
    );
    expect(error.file).toBe(join(dir, 'onnx/text_encoder.onnx'));
  });

  it('a text encoder in place of the codec decoder names the codec file', async () => {
    const dir = broken((d) => cpSync(join(d, 'onnx/text_encoder.onnx'), join(d, 'onnx/encodec_decode.onnx')));
    const error = await loadError(dir);
    expect(error.message).toMatch(
      /encodec_decode\.onnx declares inputs \[input_ids, attention_mask\] and outputs \[last_hidden_state\], but a codec decoder takes audio_codes and returns audio_values; it looks like the text encoder/,
    );
    expect(error.message).toMatch(/the files look swapped or damaged\. Download the model again \(continuo models pull\)\.$/);
  });

  it('layers, heads, codebook size and channels that the graphs do not have', async () => {
    const cases: [(c: any) => void, RegExp][] = [
      [(c) => (c.decoder.num_hidden_layers = 3), /says num_hidden_layers is 3, but .*decoder_model_merged\.onnx has 2 layers/],
      [(c) => (c.decoder.num_attention_heads = 8), /says num_attention_heads is 8, but .*decoder_model_merged\.onnx has 4 attention heads/],
      [(c) => (c.decoder.vocab_size = 1024), /says vocab_size is 1024, but .*decoder_model_merged\.onnx returns logits over 2048 codes/],
      [(c) => (c.audio_encoder.audio_channels = 2), /says audio_channels is 2, but .*encodec_decode\.onnx handles 1-channel audio/],
    ];
    for (const [edit, message] of cases) {
      const error = await loadError(broken(editConfig(edit)));
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/config\.json and the model files do not belong together\. Download the model again/);
    }
  });

  it('a wrong codec encoder is named when audio is first encoded', async () => {
    const dir = broken((d) => cpSync(join(d, 'onnx/encodec_decode.onnx'), join(d, 'onnx/encodec_encoder.onnx')));
    const engine = await MusicgenEngine.load(dir, { device: 'cpu' });
    try {
      await expect(engine.encode({ sampleRate: 32000, channels: [new Float32Array(6400)] })).rejects.toThrow(
        `${join(dir, 'onnx/encodec_encoder.onnx')} declares inputs [audio_codes] and outputs [audio_values], but a codec encoder takes input_values`,
      );
    } finally {
      await engine.dispose();
    }
  });

  it('an onnxruntime failure the declared shapes cannot foresee names the file, without colour codes', async () => {
    // The codec no longer declares its codebook count, so only running the decoder finds the mismatch.
    const dir = broken((d) => {
      editConfig((c) => (c.decoder.num_codebooks = 7))(d);
      const path = join(d, 'onnx/encodec_decode.onnx');
      const model = onnx.ModelProto.decode(readFileSync(path));
      model.graph!.input![0].type!.tensorType!.shape!.dim![2] = { dimParam: 'num_codebooks' };
      writeFileSync(path, onnx.ModelProto.encode(model).finish());
    });
    // In a child process, to see what onnxruntime itself writes to stderr.
    const script = join(work, 'load.mts');
    writeFileSync(
      script,
      `import { MusicgenEngine } from ${JSON.stringify(join(ROOT, 'src/main/engine/index.ts'))};\n` +
        `try { const e = await MusicgenEngine.load(process.argv[2], { device: 'cpu' }); await e.generate({ prompts: ['p'], maxNewTokens: 8 }); }\n` +
        `catch (e) { console.error(e.message); process.exitCode = 1; }\n`,
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', script, dir], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain(ESC);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /decoder_model_merged\.onnx failed while running \(The input tensor cannot be reshaped to the requested shape\. Input shape:\{\d+,\d\}, requested shape:\{-1,4,\d\}\)\. The model files may be damaged or may not belong together: run "continuo models verify"/,
    );
  });
});
