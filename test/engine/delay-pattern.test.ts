import { describe, expect, it } from 'vitest';
import { forcedToken, outputFrames, promptPositions, revertDelay } from '../../src/main/engine/delay-pattern';

describe('delay pattern', () => {
  it('forces pad before each codebook starts and the context inside it', () => {
    const context = [
      [10, 11],
      [20, 21],
      [30, 31],
      [40, 41],
    ];
    // codebook 2 starts at position 3 (frame 0)
    expect([0, 1, 2].map((p) => forcedToken(context, 2, p, 2048))).toEqual([2048, 2048, 2048]);
    expect(forcedToken(context, 2, 3, 2048)).toBe(30);
    expect(forcedToken(context, 2, 4, 2048)).toBe(31);
    expect(forcedToken(context, 2, 5, 2048)).toBe(-1);
    expect(forcedToken(undefined, 0, 1, 2048)).toBe(-1);
  });

  it('counts frames as transformers does', () => {
    expect(outputFrames(0, 20, 4)).toBe(17);
    expect(outputFrames(50, 20, 4)).toBe(67);
    expect(promptPositions(50)).toBe(51);
  });

  it('reverts the delay', () => {
    const seq = [Int32Array.of(9, 1, 2, 3, 4), Int32Array.of(9, 9, 5, 6, 7)];
    expect(revertDelay(seq, 3)).toEqual([
      [1, 2, 3],
      [5, 6, 7],
    ]);
  });
});
