/**
 * One `<dest>.part` file and the running sha256 of exactly the bytes on disk, kept in step on every
 * append, so a download that resumes (in this session or a later one) can still verify the whole
 * file at the end without reading it again.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { updateHashFromFile } from './hash';

export class PartFile {
  hash: Hash = createHash('sha256');
  bytes = 0;
  private handle: FileHandle | undefined;

  constructor(readonly path: string) {}

  /** Hashes what an earlier session left on disk (nothing if there is no part). */
  async load(signal: AbortSignal | undefined): Promise<void> {
    this.bytes = existsSync(this.path) ? await updateHashFromFile(this.hash, this.path, { signal }) : 0;
  }

  /** Deletes the part: the next byte appended is byte 0. */
  async reset(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    this.hash = createHash('sha256');
    this.bytes = 0;
  }

  async append(chunk: Uint8Array): Promise<void> {
    this.handle ??= await open(this.path, 'a');
    let offset = 0;
    while (offset < chunk.length) offset += (await this.handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  /** Closes the file; `sync` flushes it to disk first (before the rename that installs it). */
  async close(sync = false): Promise<void> {
    if (!this.handle) return;
    const handle = this.handle;
    this.handle = undefined;
    try {
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
