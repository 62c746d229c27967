/**
 * Streaming sha256 of a file on disk. Model files are hundreds of megabytes to gigabytes, so they
 * are never read into memory whole; the caller sees progress and can cancel between chunks.
 */
import { createReadStream } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { DownloadCancelledError } from './errors';

export interface HashFileOptions {
  signal?: AbortSignal;
  /** Called after each chunk with the bytes hashed so far. */
  onBytes?: (bytes: number) => void;
}

export async function hashFile(path: string, options: HashFileOptions = {}): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const bytes = await updateHashFromFile(hash, path, options);
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Adds a file's bytes to `hash` without finishing it, so a resumed download can keep hashing the
 * bytes that arrive after the part already on disk. Returns how many bytes were read.
 */
export async function updateHashFromFile(hash: Hash, path: string, options: HashFileOptions = {}): Promise<number> {
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new DownloadCancelledError();
      hash.update(chunk);
      bytes += chunk.length;
      options.onBytes?.(bytes);
    }
  } finally {
    stream.destroy();
  }
  return bytes;
}
