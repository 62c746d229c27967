/**
 * Turns anything thrown into one sentence a musician can read: the API's own message when there
 * is one (it is written for people), never a stack trace or "[object Object]".
 */
export function errorMessage(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  let message: unknown = error;
  if (error && typeof error === 'object' && 'message' in error) message = (error as { message: unknown }).message;
  if (typeof message !== 'string' || !message.trim()) return fallback;
  // Electron prefixes errors that cross IPC; keep only the sentence meant for people.
  const text = message.replace(/^Error invoking remote method '[^']*':\s*(\w*Error:\s*)?/, '').trim();
  // Never show a stack: keep the first line.
  const first = text.split('\n')[0].trim();
  return first || fallback;
}

/** A cancelled request (superseded wavesurfer load and the like): not worth telling anyone about. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
