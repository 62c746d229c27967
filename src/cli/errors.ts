/** Turns any failure into one line on stderr and an exit code; stack traces only with CONTINUO_DEBUG. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The file-system error code (ENOSPC, EACCES, …) of an error or of any error it wraps. */
export function errnoCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    if (code === 'SQLITE_FULL') return 'ENOSPC';
  }
  return undefined;
}

export const DATA_DIR_ADVICE = 'choose another data folder with --data-dir (or CONTINUO_DATA_DIR)';

/** What a file-system error code means for a folder Continuo writes to, and what to do about it. */
export function explainWriteFailure(code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full. Free some space, or ${DATA_DIR_ADVICE}`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `it is not writable. Check its permissions, or ${DATA_DIR_ADVICE}`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `a file is in the way where a folder should be. Move that file, or ${DATA_DIR_ADVICE}`;
    default:
      return `${fallback.replace(/\.$/, '')}. Check the folder, or ${DATA_DIR_ADVICE}`;
  }
}

export function reportError(error: unknown): number {
  if (error instanceof Error && error.name === 'AbortError') {
    process.stderr.write('continuo: cancelled; nothing was written.\n');
    return 130;
  }
  let message = error instanceof Error ? error.message : String(error);
  // A raw file-system error nobody explained ("ENOSPC: no space left on device, write"): say what to do.
  if (!(error instanceof CliError) && (errnoCode(error) === 'ENOSPC' || errnoCode(error) === 'EDQUOT') && !/--data-dir/.test(message)) {
    message = `${message.replace(/\.$/, '')}: the disk is full. Free some space, or ${DATA_DIR_ADVICE}.`;
  }
  process.stderr.write(`continuo: ${message}\n`);
  if (process.env.CONTINUO_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return error instanceof CliError ? error.exitCode : 1;
}
