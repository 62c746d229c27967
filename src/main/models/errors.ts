/**
 * Errors the model downloader and installer raise on purpose. Each has a stable `code` (for the UI,
 * the CLI's exit status and the tests) and a message that tells a musician what to do next,
 * because a failed multi-gigabyte download is the moment people most need a clear sentence.
 */
export type ModelErrorCode =
  | 'unknown-model'
  | 'unknown-variant'
  | 'catalog-invalid'
  | 'not-found'
  | 'access-denied'
  | 'http'
  | 'network'
  | 'stalled'
  | 'size'
  | 'sha256'
  | 'disk-space'
  | 'disk-write'
  | 'not-installed'
  | 'install-record-missing'
  /** Plain http to another machine, or an https→http redirect, without allowInsecure. */
  | 'insecure';

export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    /** A transient failure the downloader retries (and resumes) before giving up. */
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/** Named like DOM's AbortError so generic code (services, CLI) recognises a cancel. */
export class DownloadCancelledError extends Error {
  constructor(message = 'Download cancelled. The part already downloaded is kept: pull again to resume.') {
    super(message);
    this.name = 'AbortError';
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DownloadCancelledError();
}

/** Sizes the way a person reads them (decimal units, like the Hub and file managers show). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** Waits, but returns early (rejecting) when the signal fires, so a cancel never waits out a backoff. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DownloadCancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DownloadCancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
