/**
 * Errors the engine raises on purpose. Each carries a stable `code` (for the UI and tests), the
 * file it concerns when there is one, and a message that tells a person what to do next.
 */
export type EngineErrorCode =
  | 'model-not-found'
  | 'model-file-missing'
  | 'model-file-corrupt'
  | 'model-config-invalid'
  | 'tokenizer-invalid'
  | 'request-invalid'
  | 'audio-invalid'
  | 'provider-unavailable'
  | 'cancelled';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** Thrown when a job's AbortSignal fires; named like DOM's AbortError so generic code recognises it. */
export class CancelledError extends EngineError {
  constructor(message = 'Generation was cancelled.') {
    super('cancelled', message);
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export function isCancelled(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
