/** Audio files for import tests that no encoder here can write: MP3 frames, AIFF and huge sparse WAVs. */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/**
 * A valid MPEG-1 Layer III file (mono, 44.1 kHz, 128 kbit/s) of `frames` silent frames: every
 * frame's side info is zero, so it decodes to silence without any real encoder. With `info`, the
 * first frame carries a LAME-style "Info" header declaring the frame count, as encoders write it.
 */
export function silentMp3(frames: number, options: { info?: boolean } = {}): Buffer {
  const frameBytes = Math.floor((144 * 128_000) / 44_100); // 417, no padding
  const out = Buffer.alloc(frameBytes * frames);
  for (let f = 0; f < frames; f++) out.set([0xff, 0xfb, 0x90, 0xc4], f * frameBytes);
  if (options.info) {
    const at = 4 + 17; // header + mono MPEG-1 side info
    out.write('Info', at, 'latin1');
    out.writeUInt32BE(1, at + 4); // flags: frame count present
    out.writeUInt32BE(frames - 1, at + 8); // the Info frame itself is not counted
  }
  return out;
}

/** Overwrites bytes [from, to) with deterministic garbage, as a bad copy or a failing disk would. */
export function scramble(bytes: Buffer, from: number, to: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = from; i < Math.min(to, out.length); i++) out[i] = (i * 7919 + 13) & 0xff;
  return out;
}

/**
 * A 16-bit PCM WAV of `seconds` of silence, written as a sparse file: the header declares the full
 * data chunk and the file is extended without writing the samples, so gigabytes cost no disk.
 */
export function sparseWav(path: string, seconds: number, sampleRate = 44_100, channels = 2): number {
  const blockAlign = channels * 2;
  const dataBytes = Math.round(seconds * sampleRate) * blockAlign;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, 44 + dataBytes);
  } finally {
    closeSync(fd);
  }
  return 44 + dataBytes;
}

/** A 16-bit mono AIFF at 44.1 kHz: a format only audio-decode handles, so it proves the fallback. */
export function aiff(samples: number[]): Buffer {
  const comm = Buffer.alloc(26);
  comm.write('COMM', 0, 'latin1');
  comm.writeUInt32BE(18, 4);
  comm.writeUInt16BE(1, 8);
  comm.writeUInt32BE(samples.length, 10);
  comm.writeUInt16BE(16, 14);
  Buffer.from([0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0]).copy(comm, 16); // 44100 as 80-bit float
  const ssnd = Buffer.alloc(16 + 2 * samples.length);
  ssnd.write('SSND', 0, 'latin1');
  ssnd.writeUInt32BE(8 + 2 * samples.length, 4);
  samples.forEach((s, i) => ssnd.writeInt16BE(s, 16 + 2 * i));
  const head = Buffer.alloc(12);
  head.write('FORM', 0, 'latin1');
  head.writeUInt32BE(4 + comm.length + ssnd.length, 4);
  head.write('AIFF', 8, 'latin1');
  return Buffer.concat([head, comm, ssnd]);
}
