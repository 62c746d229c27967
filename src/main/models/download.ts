/**
 * Downloads one file so that a model install survives real networks: it resumes from `<dest>.part`
 * with an HTTP Range request, retries (with backoff) dropped connections, stalls and 5xx answers,
 * copes with servers that ignore Range, and refuses to keep a file whose size or sha256 is wrong.
 * Only a verified file is renamed to `dest`, so a half-written file never looks installed.
 *
 * Cancel (AbortSignal) stops at once and keeps the `.part`, so the next call picks up where this
 * one stopped; the hash of the part already on disk is recomputed first, which is what lets the
 * final sha256 check cover bytes from several sessions.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeWriteFailure } from '../atomic-file';
import { DownloadCancelledError, ModelError, formatBytes, sleep } from './errors';
import { PartFile } from './part-file';
import { RateMeter } from './rate';
import { openSource, type TransportOptions } from './source';

export interface DownloadProgress {
  /** Bytes of the file on disk so far (including a resumed part). */
  bytes: number;
  /** The file's size, or null while no one has said. */
  totalBytes: number | null;
  bytesPerSecond: number;
}

export interface RetryOptions {
  /** Failed attempts in a row (without any new bytes) before giving up. Default 5. */
  attempts?: number;
  /** Give up on a response that sends no bytes for this long, and retry. Default 30 s. */
  stallTimeoutMs?: number;
  /** First backoff delay; doubles per failure, capped at 10 s. Default 1 s. */
  retryDelayMs?: number;
}

export interface DownloadFileOptions extends RetryOptions, TransportOptions {
  /** http(s): or file: URL. */
  url: string;
  dest: string;
  /** Exact size when known (catalog); otherwise learned from the server's headers. */
  expectedBytes?: number | null;
  /** Lowercase hex sha256 when known (catalog); otherwise the Hub's x-linked-etag, when it sends one. */
  expectedSha256?: string | null;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Called once all bytes are on disk, before the final size/sha256 check. */
  onVerifying?: () => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** sha256 of the bytes on disk (always computed, whether or not one was expected). */
  sha256: string;
  /** Whether it was checked against a known sha256, or only against its size. */
  verifiedBy: 'sha256' | 'size' | 'none';
  /** Bytes taken from an existing `.part` instead of the network. */
  resumedFrom: number;
}

const PROGRESS_INTERVAL_MS = 100;

function isWriteError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO'].includes(code);
}

export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  const { url, dest, signal } = options;
  const attempts = options.attempts ?? 5;
  const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const name = dest.split(/[\\/]/).pop()!;
  let expectedBytes = options.expectedBytes ?? null;
  let expectedSha = options.expectedSha256?.toLowerCase() ?? null;
  const catalogSha = expectedSha;
  const part = new PartFile(`${dest}.part`);
  const rate = new RateMeter();
  let lastReport = -Infinity;
  let trailing: NodeJS.Timeout | undefined;
  /**
   * At most one report per interval, but never a stale last one: a skipped report is sent at the
   * end of the interval, so a UI (or a cancel button) sees the true count even when bytes stop.
   */
  const report = (force = false) => {
    const wait = lastReport + PROGRESS_INTERVAL_MS - performance.now();
    if (!force && wait > 0) {
      trailing ??= setTimeout(() => report(true), wait);
      return;
    }
    clearTimeout(trailing);
    trailing = undefined;
    lastReport = performance.now();
    options.onProgress?.({ bytes: part.bytes, totalBytes: expectedBytes, bytesPerSecond: rate.sample(part.bytes) });
  };

  const cancelled = () => new DownloadCancelledError();
  if (signal?.aborted) throw cancelled();
  await mkdir(dirname(dest), { recursive: true });
  // A finished file left by an interrupted install counts as a complete part: verify, don't refetch.
  if (existsSync(dest)) {
    if (existsSync(part.path)) await rm(dest, { force: true });
    else await rename(dest, part.path);
  }
  await part.load(signal);
  if (expectedBytes !== null && part.bytes > expectedBytes) await part.reset();
  let resumedFrom = part.bytes;
  /** Throws away the part: after this, nothing of an earlier session is reused. */
  const restart = async () => {
    await part.reset();
    rate.reset();
    resumedFrom = 0;
  };
  let restartedAfterMismatch = false;
  let failures = 0;
  let lastError: ModelError | undefined;

  /** Adopts what the server announces, unless it contradicts what we already know. */
  const learn = (announcedBytes: number | null, announcedSha: string | null) => {
    if (announcedBytes !== null) {
      if (expectedBytes !== null && announcedBytes !== expectedBytes) {
        throw new ModelError(
          'size',
          `${name}: the server announces ${announcedBytes} bytes but ${expectedBytes} are expected. The file on the Hub may have changed, or the server is misbehaving; nothing was installed.`,
        );
      }
      expectedBytes = announcedBytes;
    }
    if (announcedSha !== null) {
      if (catalogSha !== null && announcedSha !== catalogSha) {
        throw new ModelError(
          'sha256',
          `${name}: the Hub now serves a different file (sha256 ${announcedSha}) than the catalog expects (${catalogSha}). Update Continuo's model catalog.`,
        );
      }
      expectedSha ??= announcedSha;
    }
  };

  for (;;) {
    const attempt = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const armStall = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        attempt.abort();
      }, stallTimeoutMs);
    };
    const combined = signal ? AbortSignal.any([signal, attempt.signal]) : attempt.signal;
    const before = part.bytes;
    try {
      if (expectedBytes === null || part.bytes < expectedBytes) {
        armStall();
        const opened = await openSource(url, part.bytes, combined, { allowInsecure: options.allowInsecure });
        learn(opened.totalBytes, opened.sha256);
        if (opened.kind === 'past-end') {
          // 416: the server says our part already reaches the end. Fine if it is exactly the file.
          if (expectedBytes === null) expectedBytes = part.bytes;
          if (part.bytes > expectedBytes) {
            await restart();
            throw new ModelError('size', `${name}: the partial download was larger than the file; starting again.`, true);
          }
          if (part.bytes < expectedBytes) {
            // It announced more than it has: no retry can fix that, and the bytes cannot be trusted.
            await restart();
            throw new ModelError(
              'size',
              `${name}: the server announced ${expectedBytes} bytes but the file ends after ${part.bytes}. Nothing was installed; try again later or use another --hub mirror.`,
            );
          }
        } else {
          if (opened.kind === 'full' && part.bytes > 0) {
            // The server ignored our Range and sent the whole file: start over from byte 0.
            await restart();
          } else if (opened.kind === 'partial' && opened.start !== part.bytes) {
            await restart();
            throw new ModelError('http', `${name}: the server resumed at byte ${opened.start} instead of ${before}; starting again.`, true);
          }
          report(true);
          for await (const chunk of opened.body) {
            armStall();
            if (expectedBytes !== null && part.bytes + chunk.length > expectedBytes) {
              await restart();
              throw new ModelError(
                'size',
                `${name}: the server sent more than the ${expectedBytes} bytes it announced, so the file cannot be trusted; nothing was installed. Try again later or use another --hub mirror.`,
              );
            }
            await part.append(chunk);
            report();
          }
          clearTimeout(timer);
          if (expectedBytes !== null && part.bytes < expectedBytes) {
            throw new ModelError(
              'network',
              `${name}: the connection ended after ${formatBytes(part.bytes)} of ${formatBytes(expectedBytes)}.`,
              true,
            );
          }
        }
      }
      clearTimeout(timer);
      report(true);
      options.onVerifying?.();
      await part.close(true);
      const sha256 = part.hash.copy().digest('hex');
      if (expectedSha !== null && sha256 !== expectedSha) {
        const hadResumed = resumedFrom > 0;
        await restart();
        if (hadResumed && !restartedAfterMismatch) {
          // The old part may come from an earlier revision of the file: one clean retry from byte 0.
          restartedAfterMismatch = true;
          continue;
        }
        throw new ModelError(
          'sha256',
          `${name} is corrupt: its sha256 is ${sha256} but ${expectedSha} was expected. The damaged download was deleted; pull again.`,
        );
      }
      await rename(part.path, dest);
      clearTimeout(trailing);
      return {
        path: dest,
        bytes: part.bytes,
        sha256,
        verifiedBy: expectedSha !== null ? 'sha256' : expectedBytes !== null ? 'size' : 'none',
        resumedFrom,
      };
    } catch (error) {
      clearTimeout(timer);
      clearTimeout(trailing);
      trailing = undefined;
      await part.close().catch(() => {});
      if (signal?.aborted) throw cancelled();
      let failure: ModelError;
      if (error instanceof ModelError) failure = error;
      else if (stalled) failure = new ModelError('stalled', `${name}: no data for ${Math.round(stallTimeoutMs / 1000)} s.`, true);
      else if (isWriteError(error)) {
        const cause = describeWriteFailure(part.path, error);
        throw new ModelError('disk-write', cause.message, false, { cause: error });
      } else failure = new ModelError('network', `${name}: the connection failed (${(error as Error).message}).`, true, { cause: error });
      if (!failure.retryable) throw failure;
      lastError = failure;
      failures = part.bytes > before ? 1 : failures + 1;
      if (failures >= attempts) {
        throw new ModelError(
          failure.code,
          `${failure.message} Gave up after ${attempts} attempts; ${formatBytes(part.bytes)} are kept and the next pull resumes from there.`,
          false,
          { cause: lastError },
        );
      }
      await sleep(Math.min(retryDelayMs * 2 ** (failures - 1), 10_000), signal);
    }
  }
}
