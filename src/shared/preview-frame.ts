/**
 * The WebSocket binary frame of a `job.audio` event (streaming preview): a small header, then the
 * planar Float32 PCM as it is in memory — never JSON numbers. Dependency-free: the browser client
 * and the host both import it. All numbers little-endian.
 *
 *   0  u32  magic "CPV1"
 *   4  u32  take index
 *   8  f64  start sample (in the take's final audio)
 *  16  u32  sample rate
 *  20  u16  channels
 *  22  u8   final (1 on the take's last chunk)
 *  23  u8   job id length in bytes (UTF-8)
 *  24  u32  samples per channel
 *  28  ...  job id, zero-padded to a multiple of 4
 *   …  f32  channel 0, then channel 1, …
 */
export interface PreviewChunk {
  jobId: string;
  take: number;
  startSample: number;
  sampleRate: number;
  final: boolean;
  channels: Float32Array[];
}

const MAGIC = 0x31565043; // "CPV1" read little-endian
const HEADER = 28;

export function encodePreviewFrame(chunk: PreviewChunk): Uint8Array {
  const id = new TextEncoder().encode(chunk.jobId);
  if (id.length > 255) throw new Error('The job id is too long for a preview frame.');
  const samples = chunk.channels[0]?.length ?? 0;
  const idBytes = Math.ceil(id.length / 4) * 4;
  const bytes = new Uint8Array(HEADER + idBytes + chunk.channels.length * samples * 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, chunk.take, true);
  view.setFloat64(8, chunk.startSample, true);
  view.setUint32(16, chunk.sampleRate, true);
  view.setUint16(20, chunk.channels.length, true);
  view.setUint8(22, chunk.final ? 1 : 0);
  view.setUint8(23, id.length);
  view.setUint32(24, samples, true);
  bytes.set(id, HEADER);
  let at = HEADER + idBytes;
  for (const channel of chunk.channels) {
    if (channel.length !== samples) throw new Error('Every channel of a preview chunk must have the same length.');
    for (let i = 0; i < samples; i++, at += 4) view.setFloat32(at, channel[i], true);
  }
  return bytes;
}

/** Reads a frame written by `encodePreviewFrame`; undefined when it is not one. */
export function decodePreviewFrame(data: ArrayBuffer | Uint8Array): PreviewChunk | undefined {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length < HEADER) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return undefined;
  const channels = view.getUint16(20, true);
  const idLength = view.getUint8(23);
  const samples = view.getUint32(24, true);
  const start = HEADER + Math.ceil(idLength / 4) * 4;
  if (bytes.length !== start + channels * samples * 4) return undefined;
  const pcm = Array.from({ length: channels }, (_, c) => {
    const channel = new Float32Array(samples);
    const base = start + c * samples * 4;
    for (let i = 0; i < samples; i++) channel[i] = view.getFloat32(base + i * 4, true);
    return channel;
  });
  return {
    jobId: new TextDecoder().decode(bytes.subarray(HEADER, HEADER + idLength)),
    take: view.getUint32(4, true),
    startSample: view.getFloat64(8, true),
    sampleRate: view.getUint32(16, true),
    final: view.getUint8(22) === 1,
    channels: pcm,
  };
}
