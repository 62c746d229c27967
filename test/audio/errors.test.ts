import { describe, expect, it } from 'vitest';
import { AudioFileAccessError, AudioFormatError, describeSource } from '../../src/main/audio/errors';

describe('audio errors', () => {
  it('AudioFormatError names the file, the problem and the remedy in one sentence pair', () => {
    const error = new AudioFormatError('takes/riff.wav', 'is not a WAV file', 'Export it as WAV and try again.');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AudioFormatError');
    expect(error.source).toBe('takes/riff.wav');
    expect(error.message).toBe('"takes/riff.wav" is not a WAV file. Export it as WAV and try again.');
  });

  it('falls back to a generic subject when the source is unknown', () => {
    expect(describeSource(undefined)).toBe('The audio file');
    expect(new AudioFormatError(undefined, 'is empty', 'Pick another.').message).toBe('The audio file is empty. Pick another.');
  });

  it('AudioFileAccessError keeps the path, the errno code and the cause', () => {
    const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const error = new AudioFileAccessError('/x.wav', 'ENOENT', '"/x.wav" could not be found.', { cause });
    expect(error.name).toBe('AudioFileAccessError');
    expect(error.path).toBe('/x.wav');
    expect(error.code).toBe('ENOENT');
    expect(error.cause).toBe(cause);
  });
});
