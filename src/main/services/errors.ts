/** Maps every failure the layers below raise to the contract's error: a code and a sentence. */
import { ApiError, type ErrorCode } from '../../shared/contract';
import { FileWriteError } from '../atomic-file';
import { AudioFileAccessError, AudioFormatError } from '../audio';
import { EngineError } from '../engine';
import { LibraryError } from '../library';

const ENGINE_CODES: Record<string, ErrorCode> = {
  cancelled: 'cancelled',
  'request-invalid': 'invalid-params',
  'audio-invalid': 'invalid-params',
};

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new ApiError('cancelled', 'Cancelled.');
  // Engine errors may arrive from the engine's worker as plain errors carrying name and code.
  if (error instanceof EngineError || (error instanceof Error && error.name === 'EngineError')) {
    return new ApiError(ENGINE_CODES[(error as EngineError).code] ?? 'model-unavailable', error.message);
  }
  if (error instanceof LibraryError) {
    const code: ErrorCode = error.code === 'not-found' ? 'not-found' : error.code === 'invalid' ? 'invalid-params' : 'io';
    return new ApiError(code, error.message);
  }
  if (error instanceof FileWriteError || error instanceof AudioFileAccessError) return new ApiError('io', error.message);
  if (error instanceof AudioFormatError) return new ApiError('invalid-params', error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('internal', `Something went wrong: ${message}`);
}
