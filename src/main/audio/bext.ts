/**
 * Broadcast WAV metadata (EBU Tech 3285 v2 `bext`): what a DAW shows as the file's description
 * and origin, and TimeReference, the sample the file starts at (so a stem lands at its place on
 * import). Written by inserting the chunk into a WAV that encodeWav made; read back by
 * readWavChunks (tests, and anything that wants to show a file's metadata).
 */

export interface BextInfo {
  /** Up to 256 ASCII characters: prompt, seed, model. */
  description: string;
  /** Up to 32 characters: the application. */
  originator: string;
  originatorReference?: string;
  /** Creation time; written as the local-time-free UTC date and time. */
  date?: Date;
  /** The first sample's position on the timeline, in samples since midnight / project start. */
  timeReference?: number;
  /** Integrated loudness (LUFS) and max true peak (dBTP), v2 fields; omitted when unknown. */
  loudnessLufs?: number;
  truePeakDb?: number;
  codingHistory?: string;
}

const FIXED_SIZE = 602;
const UNKNOWN = 0x7fff;

export function encodeBext(info: BextInfo): Buffer {
  const history = info.codingHistory ? ascii(info.codingHistory) + '\r\n' : '';
  const chunk = Buffer.alloc(FIXED_SIZE + history.length);
  const date = info.date ?? new Date();
  const iso = date.toISOString();
  chunk.write(ascii(info.description).slice(0, 256), 0, 'latin1');
  chunk.write(ascii(info.originator).slice(0, 32), 256, 'latin1');
  chunk.write(ascii(info.originatorReference ?? '').slice(0, 32), 288, 'latin1');
  chunk.write(iso.slice(0, 10), 320, 'latin1'); // yyyy-mm-dd
  chunk.write(iso.slice(11, 19).replace(/:/g, '-'), 330, 'latin1'); // hh-mm-ss
  const reference = BigInt(Math.max(0, Math.round(info.timeReference ?? 0)));
  chunk.writeBigUInt64LE(reference, 338);
  chunk.writeUInt16LE(2, 346); // version 2: loudness fields are meaningful
  // 348..411 UMID: zero (none)
  chunk.writeInt16LE(loudnessField(info.loudnessLufs), 412);
  chunk.writeInt16LE(UNKNOWN, 414); // loudness range
  chunk.writeInt16LE(loudnessField(info.truePeakDb), 416);
  chunk.writeInt16LE(UNKNOWN, 418); // max momentary
  chunk.writeInt16LE(UNKNOWN, 420); // max short-term
  chunk.write(history, FIXED_SIZE, 'latin1');
  return chunk;
}

export function decodeBext(chunk: Uint8Array): BextInfo & { version: number } {
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const text = (start: number, length: number) => b.toString('latin1', start, start + length).replace(/\0.*$/s, '');
  const field = (at: number) => (b.readInt16LE(at) === UNKNOWN ? undefined : b.readInt16LE(at) / 100);
  const version = b.readUInt16LE(346);
  const date = new Date(`${text(320, 10)}T${text(330, 8).replace(/-/g, ':')}Z`);
  return {
    version,
    description: text(0, 256),
    originator: text(256, 32),
    originatorReference: text(288, 32),
    date: Number.isNaN(date.getTime()) ? undefined : date,
    timeReference: Number(b.readBigUInt64LE(338)),
    loudnessLufs: version >= 2 ? field(412) : undefined,
    truePeakDb: version >= 2 ? field(416) : undefined,
    codingHistory: b.toString('latin1', FIXED_SIZE).replace(/\0.*$/s, '').trim() || undefined,
  };
}

/**
 * The `acid` chunk (Sony ACID; read by Ableton Live, FL Studio, Cubase, REAPER and others): the
 * tempo a DAW should assume, so an export lands on the project's grid. 24 bytes: flags, root note,
 * two reserved fields, beats, meter denominator and numerator, tempo as a float.
 */
export interface AcidInfo {
  tempoBpm: number;
  beats: number;
  meter?: [numerator: number, denominator: number];
}

export function encodeAcid(info: AcidInfo): Buffer {
  const chunk = Buffer.alloc(24);
  chunk.writeUInt32LE(0, 0); // not a one-shot, no root note
  chunk.writeUInt16LE(0x3c, 4); // root note C4 (unused: flag clear)
  chunk.writeUInt16LE(0x8000, 6);
  chunk.writeFloatLE(0, 8);
  chunk.writeUInt32LE(Math.max(0, Math.round(info.beats)), 12);
  chunk.writeUInt16LE(info.meter?.[1] ?? 4, 16);
  chunk.writeUInt16LE(info.meter?.[0] ?? 4, 18);
  chunk.writeFloatLE(info.tempoBpm, 20);
  return chunk;
}

export function decodeAcid(chunk: Uint8Array): AcidInfo {
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return { tempoBpm: b.readFloatLE(20), beats: b.readUInt32LE(12), meter: [b.readUInt16LE(18), b.readUInt16LE(16)] };
}

/**
 * The `smpl` chunk (MIDI Sample Dump / RIFF sampler chunk; read by samplers, Kontakt, Logic, REAPER,
 * Ableton and others): loop points, so a loop export repeats at once when dropped in. Written as
 * the 36-byte header (manufacturer and product 0, sample period in ns, unity note, no pitch
 * fraction or SMPTE offset) and one 24-byte loop record. The format stores a loop's end as its
 * LAST sample, inclusive; here `loopEnd` and a decoded loop's `end` are exclusive, as everywhere
 * else in Continuo, and converted at the boundary.
 */
export interface SmplInfo {
  sampleRate: number;
  /** First sample of the loop. */
  loopStart: number;
  /** Sample after the loop's last (exclusive). */
  loopEnd: number;
  /** MIDI note at which the sample plays at its recorded pitch; 60 (middle C) by default. */
  unityNote?: number;
}

export interface SmplLoop {
  start: number;
  /** Exclusive: the stored (inclusive) end + 1. */
  end: number;
  /** 0 forward, 1 alternating (ping-pong), 2 backward. */
  type: number;
}

const SMPL_HEADER = 36;
const SMPL_LOOP = 24;
/** The sample period is stored in whole nanoseconds, which cannot tell 48000 Hz from 48001 Hz: decoding prefers these. */
const COMMON_RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000];

export function encodeSmpl(info: SmplInfo): Buffer {
  const { sampleRate, loopStart, loopEnd } = info;
  if (!Number.isInteger(loopStart) || !Number.isInteger(loopEnd) || loopStart < 0 || loopEnd <= loopStart || loopEnd > 0xffffffff) {
    throw new RangeError(`Loop ${loopStart}–${loopEnd} is not a range of whole samples: it needs 0 <= start < end.`);
  }
  const chunk = Buffer.alloc(SMPL_HEADER + SMPL_LOOP);
  chunk.writeUInt32LE(0, 0); // manufacturer: none
  chunk.writeUInt32LE(0, 4); // product
  chunk.writeUInt32LE(Math.round(1e9 / sampleRate), 8);
  chunk.writeUInt32LE(info.unityNote ?? 60, 12);
  chunk.writeUInt32LE(0, 16); // pitch fraction
  chunk.writeUInt32LE(0, 20); // SMPTE format: none
  chunk.writeUInt32LE(0, 24); // SMPTE offset
  chunk.writeUInt32LE(1, 28); // loops
  chunk.writeUInt32LE(0, 32); // sampler-specific bytes after the loops
  chunk.writeUInt32LE(0, SMPL_HEADER); // cue point id
  chunk.writeUInt32LE(0, SMPL_HEADER + 4); // forward
  chunk.writeUInt32LE(loopStart, SMPL_HEADER + 8);
  chunk.writeUInt32LE(loopEnd - 1, SMPL_HEADER + 12);
  chunk.writeUInt32LE(0, SMPL_HEADER + 16); // fraction
  chunk.writeUInt32LE(0, SMPL_HEADER + 20); // play count: forever
  return chunk;
}

export function decodeSmpl(chunk: Uint8Array): { sampleRate: number; unityNote: number; loops: SmplLoop[] } {
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const period = b.readUInt32LE(8);
  const sampleRate = COMMON_RATES.find((rate) => Math.round(1e9 / rate) === period) ?? Math.round(1e9 / period);
  const count = Math.min(b.readUInt32LE(28), Math.floor((b.length - SMPL_HEADER) / SMPL_LOOP));
  const loops = Array.from({ length: count }, (_, i) => {
    const at = SMPL_HEADER + i * SMPL_LOOP;
    return { start: b.readUInt32LE(at + 8), end: b.readUInt32LE(at + 12) + 1, type: b.readUInt32LE(at + 4) };
  });
  return { sampleRate, unityNote: b.readUInt32LE(12), loops };
}

/** Inserts chunks right after `WAVE` (where BWF puts `bext`), fixing the RIFF size. */
export function insertWavChunks(wav: Buffer, chunks: { id: string; data: Uint8Array }[]): Buffer {
  if (wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE') {
    throw new RangeError('Not a RIFF/WAVE buffer: metadata chunks can only go into a WAV file.');
  }
  const parts: Buffer[] = [wav.subarray(0, 12)];
  for (const { id, data } of chunks) {
    const header = Buffer.alloc(8);
    header.write(id.padEnd(4).slice(0, 4), 0, 'latin1');
    header.writeUInt32LE(data.length, 4);
    parts.push(header, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (data.length & 1) parts.push(Buffer.alloc(1));
  }
  parts.push(wav.subarray(12));
  const out = Buffer.concat(parts);
  if (out.length - 8 > 0xffffffff) throw new RangeError('Audio is too long for a WAV file (4 GiB limit). Export it as FLAC instead.');
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/** Every top-level chunk of a RIFF/WAVE file, by id (the first of each). */
export function readWavChunks(wav: Uint8Array): Map<string, Uint8Array> {
  const b = Buffer.from(wav.buffer, wav.byteOffset, wav.byteLength);
  const found = new Map<string, Uint8Array>();
  for (let at = 12; at + 8 <= b.length;) {
    const id = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (!found.has(id)) found.set(id, b.subarray(at + 8, Math.min(b.length, at + 8 + size)));
    at += 8 + size + (size & 1);
  }
  return found;
}

function loudnessField(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return UNKNOWN;
  return Math.max(-32768, Math.min(32766, Math.round(value * 100)));
}

/** bext text is ASCII: anything else becomes '?', so a DAW never shows mojibake. */
function ascii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e\r\n]/g, '?');
}
