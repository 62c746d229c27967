/**
 * Errors the audio layer raises about files, worded for the musician who picked the file: each
 * message names the file, says what is wrong and what to do. Callers can show `message` as is.
 */

/** The bytes are not audio Continuo can read: wrong format, damaged, or an unsupported encoding. */
export class AudioFormatError extends Error {
  override readonly name = 'AudioFormatError';

  constructor(
    /** The file (or other origin) the bytes came from, as given by the caller. */
    readonly source: string | undefined,
    problem: string,
    advice: string,
  ) {
    super(`${describeSource(source)} ${problem}. ${advice}`);
  }
}

/** The file could not be read at all (missing, no permission, a folder), as opposed to bad content. */
export class AudioFileAccessError extends Error {
  override readonly name = 'AudioFileAccessError';

  constructor(
    readonly path: string,
    /** The Node.js error code, e.g. ENOENT, so callers can react (offer to relink a moved take). */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function describeSource(source: string | undefined): string {
  return source ? `"${source}"` : 'The audio file';
}
