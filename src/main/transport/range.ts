/**
 * HTTP Range for take audio. Players seek by asking for byte ranges; answering 200 with the whole
 * file makes Chromium snap playback back to 0 (the trap of net.fetch(file://) in Electron).
 */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/** Parses a single `bytes=` range against a file size; multi-range requests get the first range. */
export function parseRange(header: string | null | undefined, size: number): RangeResult {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'unsatisfiable';
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export interface RangeResponse {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  start: number;
  end: number;
}

/** Status and headers for serving `size` bytes of audio in answer to a Range header. */
export function rangeResponse(header: string | null | undefined, size: number, contentType = 'audio/wav'): RangeResponse {
  const range = parseRange(header, size);
  const base = { 'Accept-Ranges': 'bytes', 'Content-Type': contentType, 'Cache-Control': 'no-cache' };
  if (range === 'unsatisfiable') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, start: 0, end: -1 };
  if (!range) return { status: 200, headers: { ...base, 'Content-Length': String(size) }, start: 0, end: size - 1 };
  return {
    status: 206,
    headers: {
      ...base,
      'Content-Length': String(range.end - range.start + 1),
      'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
    },
    start: range.start,
    end: range.end,
  };
}
