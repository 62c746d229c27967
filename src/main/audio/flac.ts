import type { StreamMetadata } from 'libflacjs';
import { AudioFormatError } from './errors';
import { loadLibFlac } from './libflac';
import { fullScale, quantize } from './pcm';
import { assertAudioData, frameCount, type AudioData } from './types';

/** libFLAC's default level: nearly the smallest files at a fraction of level 8's encode time. */
const COMPRESSION_LEVEL = 5;
/** Frames handed to libFLAC per call: bounds the interleaved scratch buffer for long takes. */
const FRAMES_PER_CALL = 65536;
const REEXPORT_ADVICE = 'The file may be damaged; export it again from the application that made it.';
const DECODER_ERRORS: Record<string, string> = {
  FLAC__STREAM_DECODER_ERROR_STATUS_LOST_SYNC: 'its audio frames are out of sync',
  FLAC__STREAM_DECODER_ERROR_STATUS_BAD_HEADER: 'a frame header is corrupt',
  FLAC__STREAM_DECODER_ERROR_STATUS_FRAME_CRC_MISMATCH: 'a frame failed its checksum',
  FLAC__STREAM_DECODER_ERROR_STATUS_UNPARSEABLE_STREAM: 'it uses features this decoder does not know',
};

/** Lossless FLAC of `audio` quantised to `bitsPerSample` with the same rounding as the WAV encoder. */
export async function encodeFlac(audio: AudioData, bitsPerSample: 16 | 24 = 16): Promise<Buffer> {
  assertAudioData(audio);
  const channelCount = audio.channels.length;
  if (channelCount > 8) throw new RangeError(`FLAC holds at most 8 channels; this audio has ${channelCount}.`);
  const flac = await loadLibFlac();
  const frames = frameCount(audio);
  const encoder = flac.create_libflac_encoder(audio.sampleRate, channelCount, bitsPerSample, COMPRESSION_LEVEL, frames, false);
  if (!encoder) throw new Error(`libFLAC cannot encode ${channelCount} channels at ${audio.sampleRate} Hz.`);

  const pieces: Uint8Array[] = [];
  let streamInfo: StreamMetadata | undefined;
  try {
    const status = flac.init_encoder_stream(
      encoder,
      (data) => void pieces.push(data),
      (info) => (streamInfo = info),
    );
    if (status !== 0) throw new Error(`libFLAC could not start encoding (init status ${status}).`);
    const scale = fullScale(bitsPerSample);
    const interleaved = new Int32Array(Math.min(frames, FRAMES_PER_CALL) * channelCount);
    for (let start = 0; start < frames; start += FRAMES_PER_CALL) {
      const count = Math.min(FRAMES_PER_CALL, frames - start);
      audio.channels.forEach((channel, c) => {
        for (let i = 0; i < count; i++) interleaved[i * channelCount + c] = quantize(channel[start + i], scale);
      });
      if (!flac.FLAC__stream_encoder_process_interleaved(encoder, interleaved.subarray(0, count * channelCount), count)) {
        throw new Error(`libFLAC failed while encoding (encoder state ${flac.FLAC__stream_encoder_get_state(encoder)}).`);
      }
    }
    if (!flac.FLAC__stream_encoder_finish(encoder)) throw new Error('libFLAC failed to finish the FLAC stream.');
  } finally {
    flac.FLAC__stream_encoder_delete(encoder);
  }
  const bytes = Buffer.concat(pieces);
  if (streamInfo) completeStreamInfo(bytes, streamInfo);
  return bytes;
}

/**
 * libFLAC learns the MD5 of the audio and the frame sizes only at the end, and fills them in by
 * seeking back to the header, which libflac.js's callback API cannot do. Patching them in here
 * lets any decoder (ours included) verify the file against the MD5.
 */
function completeStreamInfo(bytes: Buffer, info: StreamMetadata): void {
  const startsWithStreamInfo = bytes.toString('latin1', 0, 4) === 'fLaC' && (bytes[4] & 0x7f) === 0;
  if (!startsWithStreamInfo) return;
  bytes.writeUIntBE(info.min_framesize, 12, 3);
  bytes.writeUIntBE(info.max_framesize, 15, 3);
  bytes.write(info.md5sum, 26, 'hex');
}

/**
 * Decodes FLAC, checking every frame CRC and the stream's MD5 when present. Only 16- and 24-bit
 * streams (nearly every FLAC in use): libflac.js repacks decoded samples into bytes in a way
 * verified for those two depths, so other depths are refused rather than risk wrong audio.
 */
export async function decodeFlac(bytes: Uint8Array, source?: string): Promise<AudioData> {
  const fail = (problem: string, advice = REEXPORT_ADVICE) => new AudioFormatError(source, problem, advice);
  if (bytes.length < 4 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'fLaC') {
    throw fail('is not a FLAC file (no "fLaC" header)', 'Export it as FLAC or WAV and try again.');
  }
  const flac = await loadLibFlac();
  const decoder = flac.create_libflac_decoder(true);
  if (!decoder) throw new Error('libFLAC could not create a decoder.');

  const blocks: Float32Array[][] = [];
  let info: StreamMetadata | undefined;
  let problem: string | undefined;
  let unsupportedBits: number | undefined;
  let position = 0;
  let finished: boolean;
  let checksumMatches: boolean;
  try {
    const read = (maxBytes: number) => {
      const chunk = bytes.subarray(position, Math.min(position + maxBytes, bytes.length));
      position += chunk.length;
      return { buffer: chunk as Uint8Array<ArrayBuffer>, readDataLength: chunk.length, error: false };
    };
    const write = (data: Uint8Array[], frame: { blocksize: number; bitsPerSample: number }) => {
      if (frame.bitsPerSample !== 16 && frame.bitsPerSample !== 24) {
        unsupportedBits = frame.bitsPerSample;
        return false; // stops the decoder
      }
      blocks.push(data.map((pcm) => pcmToFloat(pcm, frame.blocksize, frame.bitsPerSample)));
    };
    // libflac.js passes the status name here, although its typings declare a number.
    const onError = (_code: number, status: unknown) => void (problem ??= DECODER_ERRORS[String(status)] ?? String(status));
    const status = flac.init_decoder_stream(decoder, read, write, onError, (metadata) => (info ??= metadata));
    if (status !== 0) throw new Error(`libFLAC could not start decoding (init status ${status}).`);
    finished = flac.FLAC__stream_decoder_process_until_end_of_stream(decoder);
    checksumMatches = flac.FLAC__stream_decoder_finish(decoder);
  } finally {
    flac.FLAC__stream_decoder_delete(decoder);
  }

  if (unsupportedBits !== undefined) {
    throw fail(
      `uses ${unsupportedBits}-bit samples, which Continuo cannot read`,
      'Export it as 16- or 24-bit FLAC, or as WAV, and try again.',
    );
  }
  if (problem) throw fail(`is damaged (${problem})`);
  if (!info) throw fail('is damaged (its STREAMINFO header is missing)');
  const channels = concatBlocks(blocks, info.channels);
  if (channels[0].length < info.total_samples) {
    // a total of 0 means "unknown"
    throw fail(
      `is truncated (${channels[0].length} of ${info.total_samples} samples are present)`,
      'It may not have finished copying or downloading; copy or export it again.',
    );
  }
  if (!finished) throw fail('could not be decoded to the end');
  if (!checksumMatches) throw fail('is damaged (its audio does not match the MD5 checksum stored in the file)');
  return { sampleRate: info.sampleRate, channels };
}

/** libflac.js hands out little-endian bytes: 2 per 16-bit sample, a 32-bit word per 24-bit one. */
function pcmToFloat(pcm: Uint8Array, frames: number, bits: number): Float32Array {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const scale = fullScale(bits);
  const out = new Float32Array(frames);
  if (bits === 16) for (let i = 0; i < frames; i++) out[i] = view.getInt16(i * 2, true) / scale;
  else for (let i = 0; i < frames; i++) out[i] = view.getInt32(i * 4, true) / scale;
  return out;
}

function concatBlocks(blocks: Float32Array[][], channelCount: number): Float32Array[] {
  const frames = blocks.reduce((sum, block) => sum + block[0].length, 0);
  return Array.from({ length: channelCount }, (_, c) => {
    const channel = new Float32Array(frames);
    let offset = 0;
    for (const block of blocks) {
      channel.set(block[c], offset);
      offset += block[c].length;
    }
    return channel;
  });
}
