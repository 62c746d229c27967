/**
 * Errors the engine raises on purpose. Each carries a stable `code` (for the UI and tests), the
 * file it concerns when there is one, and a message that tells a person what to do next.
 */
export type EngineErrorCode =
  | 'model-not-found'
  | 'model-file-missing'
  | 'model-file-corrupt'
  | 'model-file-mismatch'
  | 'model-run-failed'
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

// CSI sequences (colours, cursor moves) and OSC sequences, as onnxruntime's console logger writes them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Text without terminal escape codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The useful part of an onnxruntime error: no colour codes, one line, the innermost status message. */
export function onnxDetail(error: unknown): string {
  let text = stripAnsi(error instanceof Error ? error.message : String(error))
    .replace(/\s+/g, ' ')
    .trim();
  const status = text.lastIndexOf('Status Message: ');
  if (status >= 0) text = text.slice(status + 'Status Message: '.length);
  // "/onnxruntime_src/…/reshape_helper.h:84 onnxruntime::ReshapeHelper::ReshapeHelper(…) <check> was false. <what>"
  text = text.replace(/^\/\S+:\d+ .*? was false\. /, '');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/**
 * An onnxruntime failure while running `file`, as a message that names the file and says what to
 * do; the engine's own errors and cancellation pass through unchanged.
 */
export function runFailed(error: unknown, file: string): unknown {
  if (error instanceof EngineError || isCancelled(error)) return error;
  return new EngineError(
    'model-run-failed',
    `${file} failed while running (${onnxDetail(error)}). The model files may be damaged or may not belong together: run "continuo models verify", or download the model again (continuo models pull).`,
    file,
    { cause: error },
  );
}
