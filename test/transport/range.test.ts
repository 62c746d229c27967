import { describe, expect, it } from 'vitest';
import { parseRange, rangeResponse } from '../../src/main/transport/range';

describe('HTTP Range for take audio', () => {
  it('parses the forms players send', () => {
    expect(parseRange('bytes=0-', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=100-199', 1000)).toEqual({ start: 100, end: 199 });
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange(undefined, 1000)).toBeNull();
  });

  it('refuses ranges outside the file', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 1000)).toBe('unsatisfiable');
    expect(parseRange('items=0-1', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
  });

  it('answers 206 with Content-Range, 200 without a range, 416 when unsatisfiable', () => {
    expect(rangeResponse('bytes=10-19', 100)).toMatchObject({
      status: 206,
      start: 10,
      end: 19,
      headers: { 'Content-Range': 'bytes 10-19/100', 'Content-Length': '10', 'Accept-Ranges': 'bytes' },
    });
    expect(rangeResponse(null, 100)).toMatchObject({ status: 200, start: 0, end: 99, headers: { 'Content-Length': '100' } });
    expect(rangeResponse('bytes=200-', 100)).toMatchObject({ status: 416, headers: { 'Content-Range': 'bytes */100' } });
  });
});
