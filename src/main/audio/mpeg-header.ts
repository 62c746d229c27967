/**
 * What an MP3 file says about itself before it is decoded: the first frame header (rate,
 * channels) and, where the encoder wrote one, the Xing/Info or VBRI header's frame count, which
 * declares the file's length. LAME and most encoders write it; without it the length is unknown
 * (a constant-bitrate estimate would be wrong for variable-bitrate files, so none is made).
 */

export interface MpegInfo {
  sampleRate: number;
  channelCount: number;
  samplesPerFrame: number;
  /** Sample frames (per channel) the Xing/Info/VBRI header declares, if there is one. */
  declaredFrames?: number;
}

const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Bytes an ID3v2 tag at the start takes (0 when there is none). */
function id3v2Size(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  return 10 + size + (bytes[5] & 0x10 ? 10 : 0);
}

function u32be(bytes: Uint8Array, at: number): number {
  return bytes[at] * 0x1000000 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
}

function tagAt(bytes: Uint8Array, at: number, tag: string): boolean {
  if (at + tag.length > bytes.length) return false;
  for (let i = 0; i < tag.length; i++) if (bytes[at + i] !== tag.charCodeAt(i)) return false;
  return true;
}

/** The first MPEG audio frame's description, or undefined when `bytes` does not start like an MP3. */
export function parseMpegHeader(bytes: Uint8Array): MpegInfo | undefined {
  const start = id3v2Size(bytes);
  // The first frame sits right after the tag; allow a little padding some taggers leave.
  const limit = Math.min(bytes.length - 4, start + 4096);
  for (let at = start; at < limit; at++) {
    if (bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) continue;
    const version = (bytes[at + 1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    const layer = (bytes[at + 1] >> 1) & 3; // 1: III, 2: II, 3: I
    const rateIndex = (bytes[at + 2] >> 2) & 3;
    const bitrateIndex = bytes[at + 2] >> 4;
    if (version === 1 || layer === 0 || rateIndex === 3 || bitrateIndex === 15) continue;
    const mono = bytes[at + 3] >> 6 === 3;
    const samplesPerFrame = layer === 3 ? 384 : layer === 2 || version === 3 ? 1152 : 576;
    const info: MpegInfo = { sampleRate: RATES[version][rateIndex], channelCount: mono ? 1 : 2, samplesPerFrame };
    if (layer === 1) {
      const xing = at + 4 + (version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17);
      if ((tagAt(bytes, xing, 'Xing') || tagAt(bytes, xing, 'Info')) && xing + 12 <= bytes.length && u32be(bytes, xing + 4) & 1) {
        info.declaredFrames = u32be(bytes, xing + 8) * samplesPerFrame;
      } else if (tagAt(bytes, at + 36, 'VBRI') && at + 54 <= bytes.length) {
        info.declaredFrames = u32be(bytes, at + 36 + 14) * samplesPerFrame;
      }
    }
    return info;
  }
  return undefined;
}
