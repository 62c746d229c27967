/** Turns any failure into one line on stderr and an exit code; stack traces only with CONTINUO_DEBUG. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof Error && error.name === 'AbortError') {
    process.stderr.write('continuo: cancelled; nothing was written.\n');
    return 130;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`continuo: ${message}\n`);
  if (process.env.CONTINUO_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return error instanceof CliError ? error.exitCode : 1;
}
