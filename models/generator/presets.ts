/** Sizes of the generated test models. `small` mirrors musicgen-small's decoder exactly. */
export interface Preset {
  name: string;
  text: { dModel: number; layers: number; heads: number; ffn: number; maxPositions: number };
  decoder: { hidden: number; layers: number; heads: number; ffn: number; codebooks: number; maxPositions: number };
  codec: { channels: 1 | 2; codebookDim: number; codebookSize: number; hopLength: number; sampleRate: number };
}

const codec = { codebookSize: 2048, hopLength: 640, sampleRate: 32000 } as const;

export const PRESETS: Record<string, Preset> = {
  tiny: {
    name: 'tiny',
    text: { dModel: 32, layers: 1, heads: 2, ffn: 64, maxPositions: 512 },
    decoder: { hidden: 64, layers: 2, heads: 4, ffn: 128, codebooks: 4, maxPositions: 2048 },
    codec: { channels: 1, codebookDim: 32, ...codec },
  },
  'tiny-stereo': {
    name: 'tiny-stereo',
    text: { dModel: 32, layers: 1, heads: 2, ffn: 64, maxPositions: 512 },
    decoder: { hidden: 64, layers: 2, heads: 4, ffn: 128, codebooks: 8, maxPositions: 2048 },
    codec: { channels: 2, codebookDim: 32, ...codec },
  },
  small: {
    name: 'small',
    text: { dModel: 768, layers: 2, heads: 12, ffn: 3072, maxPositions: 512 },
    decoder: { hidden: 1024, layers: 24, heads: 16, ffn: 4096, codebooks: 4, maxPositions: 2048 },
    codec: { channels: 1, codebookDim: 128, ...codec },
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
