/**
 * Writes a file so that readers only ever see the old file or the complete new one: write a
 * temp file beside it, fsync, then rename. A failure (full disk, cancelled job) removes the temp
 * file and leaves nothing half-written behind.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class FileWriteError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'FileWriteError';
  }
}

export function describeWriteFailure(path: string, error: unknown): FileWriteError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full. Free some space and try again'
      : code === 'ENOENT'
        ? 'its folder does not exist. Create the folder or choose another path'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied. Choose a folder you can write to'
          : (error as Error).message;
  return new FileWriteError(`Could not write ${path}: ${reason}.`, path, code);
}

export function writeFileAtomic(path: string, data: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw describeWriteFailure(path, error);
  }
}
