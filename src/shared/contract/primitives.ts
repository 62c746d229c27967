/** Constants and small schemas every part of the contract uses. */
import { z } from 'zod';

export const MAX_SEED = 0xffffffff;
export const DEVICE_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export const VARIANTS = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export const EXPORT_FORMATS = ['wav16', 'wav24', 'wav32f', 'flac16', 'flac24'] as const;

export const id = z.string().min(1).max(100);
export const exportRate = z.union([z.literal(32000), z.literal(44100), z.literal(48000)]);
export const seconds = z.number().finite().min(0).max(36_000);
export const text = (max: number) => z.string().max(max);

export const SamplingSchema = z.object({
  greedy: z.boolean().default(false),
  temperature: z.number().min(0.01).max(10).default(1),
  topK: z.number().int().min(0).max(2048).default(250),
  topP: z.number().min(0.01).max(1).default(1),
});
