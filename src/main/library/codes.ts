/**
 * Audio codes ([codebook][frame] token ids) as a compact BLOB: a Uint16 little-endian codebook
 * count, then every codebook's frames in order, each a Uint16 little-endian. Token ids of EnCodec
 * codebooks (2048 entries) fit 16 bits, so this is a quarter of the size of Int64 and far smaller
 * than JSON, and it keeps the stored codes exact for continuing a take later.
 */
import { LibraryError } from './errors';

const HEADER_BYTES = 2;

export function validateCodes(codes: number[][]): number {
  if (!Array.isArray(codes)) throw new LibraryError('invalid', "The take's audio codes must be a list of codebooks.");
  if (codes.length > 0xffff) throw new LibraryError('invalid', `Too many codebooks (${codes.length}).`);
  const frames = codes[0]?.length ?? 0;
  codes.forEach((row, k) => {
    if (!Array.isArray(row) || row.length !== frames) {
      throw new LibraryError(
        'invalid',
        `Codebook ${k} has ${Array.isArray(row) ? row.length : 'no'} frames but codebook 0 has ${frames}; every codebook must have the same length.`,
      );
    }
    for (const value of row) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
        throw new LibraryError('invalid', `Codebook ${k} holds ${value}, which is not a token id (0–65535).`);
      }
    }
  });
  return frames;
}

export function encodeCodes(codes: number[][]): Buffer {
  const frames = validateCodes(codes);
  const bytes = Buffer.alloc(HEADER_BYTES + codes.length * frames * 2);
  bytes.writeUInt16LE(codes.length, 0);
  let offset = HEADER_BYTES;
  for (const row of codes) {
    for (const value of row) {
      bytes.writeUInt16LE(value, offset);
      offset += 2;
    }
  }
  return bytes;
}

export function decodeCodes(blob: Uint8Array): number[][] {
  if (blob.byteLength < HEADER_BYTES) throw new LibraryError('invalid', 'The stored audio codes are damaged (too short).');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const codebooks = view.getUint16(0, true);
  const values = (blob.byteLength - HEADER_BYTES) / 2;
  if (codebooks === 0) return [];
  if (!Number.isInteger(values) || values % codebooks !== 0) {
    throw new LibraryError('invalid', 'The stored audio codes are damaged (their length does not match the codebook count).');
  }
  const frames = values / codebooks;
  const codes: number[][] = [];
  let offset = HEADER_BYTES;
  for (let k = 0; k < codebooks; k++) {
    const row = new Array<number>(frames);
    for (let f = 0; f < frames; f++, offset += 2) row[f] = view.getUint16(offset, true);
    codes.push(row);
  }
  return codes;
}
