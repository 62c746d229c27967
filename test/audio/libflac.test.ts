import { describe, expect, it } from 'vitest';
import { loadLibFlac } from '../../src/main/audio/libflac';

const fetchBeforeLoad = globalThis.fetch;

describe('loadLibFlac', () => {
  it('loads the WASM build once and shares it', async () => {
    const [first, second] = await Promise.all([loadLibFlac(), loadLibFlac()]);
    expect(first).toBe(second);
    expect(first).toBe(await loadLibFlac());
    expect(first.isReady()).toBe(true);
    expect(first.variant).toBe('release.wasm');
  });

  it('leaves the global fetch in place after hiding it during the load', async () => {
    await loadLibFlac();
    expect(typeof globalThis.fetch).toBe('function');
    expect(globalThis.fetch).toBe(fetchBeforeLoad);
  });

  it('gives working encoder and decoder handles', async () => {
    const flac = await loadLibFlac();
    const encoder = flac.create_libflac_encoder(48000, 2, 16, 5, 0, false);
    expect(encoder).toBeGreaterThan(0);
    flac.FLAC__stream_encoder_delete(encoder);
    const decoder = flac.create_libflac_decoder(true);
    expect(decoder).toBeGreaterThan(0);
    flac.FLAC__stream_decoder_delete(decoder);
  });
});
