/**
 * The library's one error type. Callers (services, CLI) map `code` onto the contract's error codes,
 * so the message is what the musician reads: it says what went wrong and what they can do about it.
 */
export type LibraryErrorCode = 'not-found' | 'invalid' | 'io';

export class LibraryError extends Error {
  constructor(
    readonly code: LibraryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LibraryError';
  }
}

/** Ids are UUIDs; a shortened one reads better in a sentence and is still recognisable. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

export function takeNotFound(id: string): LibraryError {
  return new LibraryError('not-found', `Take ${shortId(id)} is not in the library (it may have been removed from the trash).`);
}

/** A sentence for a failed disk operation, so "EACCES" never reaches the musician raw. */
export function ioError(action: string, path: string, error: unknown): LibraryError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full. Free some space and try again'
      : code === 'ENOENT'
        ? 'the file is missing. Run a library check, or re-create the take'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied. Check that the data folder is writable'
          : error instanceof Error
            ? error.message
            : String(error);
  return new LibraryError('io', `Could not ${action} ${path}: ${reason.replace(/\.$/, '')}.`, { cause: error });
}
