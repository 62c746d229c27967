/** File variants are picked by name, as the Hub repos carry them (q8 = *_quantized.onnx). */
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MusicgenEngine, installedVariants } from '../../src/main/engine';
import { tempDir, testModel } from '../helpers/models';

describe('model file variants', () => {
  it('loads the q8 decoder by name and falls back to fp32 for the codec', async () => {
    const dir = join(tempDir(), 'm');
    cpSync(testModel('tiny'), dir, { recursive: true });
    copyFileSync(join(dir, 'onnx/decoder_model_merged.onnx'), join(dir, 'onnx/decoder_model_merged_quantized.onnx'));
    copyFileSync(join(dir, 'onnx/text_encoder.onnx'), join(dir, 'onnx/text_encoder_quantized.onnx'));
    rmSync(join(dir, 'onnx/decoder_model_merged.onnx'));
    expect(installedVariants(dir)).toEqual(['q8']);
    const engine = await MusicgenEngine.load(dir, { device: 'cpu', variant: 'q8' });
    expect(engine.variant).toBe('q8');
    const result = await engine.generate({ prompts: ['x'], maxNewTokens: 10, sampling: { greedy: true } });
    expect(result.takes[0].codes[0]).toHaveLength(7);
    await engine.dispose();
    await expect(MusicgenEngine.load(dir, { device: 'cpu', variant: 'fp32' })).rejects.toThrow(
      /decoder_model_merged\.onnx is missing.*fp32 variant/,
    );
  });
});
