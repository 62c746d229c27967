/**
 * The file layout of a MusicGen ONNX export on the Hub (Xenova/musicgen-*): which file each
 * session loads, and the name suffix of each precision variant the repos carry.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from './errors';

export const VARIANT_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

export type ModelVariant = keyof typeof VARIANT_SUFFIX;
export const MODEL_VARIANTS = Object.keys(VARIANT_SUFFIX) as ModelVariant[];

export type SessionName = 'textEncoder' | 'decoder' | 'codecDecoder' | 'codecEncoder';

const BASE_NAMES: Record<SessionName, string> = {
  textEncoder: 'text_encoder',
  decoder: 'decoder_model_merged',
  codecDecoder: 'encodec_decode',
  codecEncoder: 'encodec_encoder',
};

export const REQUIRED_SESSIONS: SessionName[] = ['textEncoder', 'decoder', 'codecDecoder'];

export function onnxFile(session: SessionName, variant: ModelVariant): string {
  return `onnx/${BASE_NAMES[session]}${VARIANT_SUFFIX[variant]}.onnx`;
}

export interface ResolvedFile {
  path: string;
  relative: string;
  variant: ModelVariant;
}

/**
 * The file for a session in the wanted variant. The decoder must exist in that variant (it is
 * what the user chose); the small sessions fall back to fp32 because repos often ship only that.
 */
export function resolveSessionFile(dir: string, session: SessionName, variant: ModelVariant): ResolvedFile | undefined {
  const candidates: ModelVariant[] = session === 'decoder' || variant === 'fp32' ? [variant] : [variant, 'fp32'];
  for (const v of candidates) {
    const relative = onnxFile(session, v);
    const path = join(dir, relative);
    if (existsSync(path)) {
      if (statSync(path).size === 0) {
        throw new EngineError('model-file-corrupt', `${path} is empty. Download the model again (continuo models pull).`, path);
      }
      return { path, relative, variant: v };
    }
  }
  return undefined;
}

export function requireSessionFile(dir: string, session: SessionName, variant: ModelVariant): ResolvedFile {
  const found = resolveSessionFile(dir, session, variant);
  if (!found) {
    const path = join(dir, onnxFile(session, variant));
    const hint =
      session === 'codecEncoder'
        ? 'This model cannot encode audio, so it can only continue takes whose audio codes are stored.'
        : `Download the ${variant} variant of the model (continuo models pull) or pick another variant.`;
    throw new EngineError('model-file-missing', `${path} is missing. ${hint}`, path);
  }
  return found;
}

/** Variants whose decoder file is present in a model folder, best (full precision) first. */
export function installedVariants(dir: string): ModelVariant[] {
  return MODEL_VARIANTS.filter((v) => existsSync(join(dir, onnxFile('decoder', v))));
}
