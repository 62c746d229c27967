/**
 * FLAC metadata for exports: a VORBIS_COMMENT block (the tags every player and DAW reads from
 * FLAC) inserted after STREAMINFO of a file encodeFlac made. libflac.js exposes no metadata
 * objects, so the block is written here: FLAC's block header is one byte (last-block flag and
 * type) plus a 24-bit big-endian length; Vorbis comments are little-endian length-prefixed UTF-8.
 */

const VORBIS_COMMENT = 4;

export function encodeVorbisComment(tags: Record<string, string>, vendor = 'Continuo'): Buffer {
  const entries = Object.entries(tags)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => Buffer.from(`${key.toUpperCase().replace(/[^\x20-\x3c\x3e-\x7d]/g, '_')}=${value}`, 'utf8'));
  const vendorBytes = Buffer.from(vendor, 'utf8');
  const parts: Buffer[] = [u32le(vendorBytes.length), vendorBytes, u32le(entries.length)];
  for (const entry of entries) parts.push(u32le(entry.length), entry);
  return Buffer.concat(parts);
}

/** Inserts a VORBIS_COMMENT block right after STREAMINFO (replacing any there was). */
export function insertVorbisComment(flac: Buffer, tags: Record<string, string>, vendor?: string): Buffer {
  if (flac.toString('latin1', 0, 4) !== 'fLaC') throw new RangeError('Not a FLAC stream: tags can only go into a FLAC file.');
  const blocks: { type: number; data: Buffer }[] = [];
  let at = 4;
  for (;;) {
    if (at + 4 > flac.length) throw new RangeError('The FLAC stream ends inside its metadata.');
    const header = flac[at];
    const length = flac.readUIntBE(at + 1, 3);
    blocks.push({ type: header & 0x7f, data: flac.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
    if (header & 0x80) break;
  }
  const body = encodeBlocks([
    blocks[0],
    { type: VORBIS_COMMENT, data: encodeVorbisComment(tags, vendor) },
    ...blocks.slice(1).filter((b) => b.type !== VORBIS_COMMENT),
  ]);
  return Buffer.concat([flac.subarray(0, 4), body, flac.subarray(at)]);
}

/** The tags of a FLAC file's VORBIS_COMMENT block (keys upper-case), for tests and display. */
export function readVorbisComment(flac: Uint8Array): { vendor: string; tags: Record<string, string> } | null {
  const b = Buffer.from(flac.buffer, flac.byteOffset, flac.byteLength);
  if (b.toString('latin1', 0, 4) !== 'fLaC') return null;
  for (let at = 4; at + 4 <= b.length;) {
    const header = b[at];
    const length = b.readUIntBE(at + 1, 3);
    if ((header & 0x7f) === VORBIS_COMMENT) {
      let p = at + 4;
      const vendorLength = b.readUInt32LE(p);
      const vendor = b.toString('utf8', p + 4, p + 4 + vendorLength);
      p += 4 + vendorLength;
      const count = b.readUInt32LE(p);
      p += 4;
      const tags: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const n = b.readUInt32LE(p);
        const entry = b.toString('utf8', p + 4, p + 4 + n);
        const eq = entry.indexOf('=');
        tags[entry.slice(0, eq).toUpperCase()] = entry.slice(eq + 1);
        p += 4 + n;
      }
      return { vendor, tags };
    }
    if (header & 0x80) break;
    at += 4 + length;
  }
  return null;
}

function encodeBlocks(blocks: { type: number; data: Buffer }[]): Buffer {
  return Buffer.concat(
    blocks.flatMap(({ type, data }, i) => {
      if (data.length >= 1 << 24) throw new RangeError('A FLAC metadata block is limited to 16 MiB.');
      const header = Buffer.alloc(4);
      header[0] = (i === blocks.length - 1 ? 0x80 : 0) | type;
      header.writeUIntBE(data.length, 1, 3);
      return [header, data];
    }),
  );
}

function u32le(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}
