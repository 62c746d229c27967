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

/**
 * The decoder of a variant: optimum's merged file (one `If` on `use_cache_branch`), or the
 * unmerged pair some exports ship instead (`decoder_model` for the first step, without a past,
 * and `decoder_with_past_model` for the others). The merged file wins when both are there.
 */
export type DecoderFiles = { layout: 'merged'; merged: string } | { layout: 'pair'; noPast: string; withPast: string };

export function pairFiles(variant: ModelVariant): { noPast: string; withPast: string } {
  return {
    noPast: `onnx/decoder_model${VARIANT_SUFFIX[variant]}.onnx`,
    withPast: `onnx/decoder_with_past_model${VARIANT_SUFFIX[variant]}.onnx`,
  };
}

export function resolveDecoderFiles(dir: string, variant: ModelVariant): DecoderFiles | undefined {
  const merged = resolveSessionFile(dir, 'decoder', variant);
  if (merged) return { layout: 'merged', merged: merged.path };
  const pair = pairFiles(variant);
  const [noPast, withPast] = [join(dir, pair.noPast), join(dir, pair.withPast)];
  if (!existsSync(noPast) || !existsSync(withPast)) return undefined;
  for (const path of [noPast, withPast]) {
    if (statSync(path).size === 0)
      throw new EngineError('model-file-corrupt', `${path} is empty. Download the model again (continuo models pull).`, path);
  }
  return { layout: 'pair', noPast, withPast };
}

export function requireDecoderFiles(dir: string, variant: ModelVariant): DecoderFiles {
  const found = resolveDecoderFiles(dir, variant);
  if (found) return found;
  // The merged file is what the Hub's MusicGen repos carry, so the message names it.
  requireSessionFile(dir, 'decoder', variant);
  throw new Error('unreachable');
}

/** The file each decoder step runs (named when a step fails): the merged file or the with-past one. */
export function steppingFile(files: DecoderFiles): string {
  return files.layout === 'merged' ? files.merged : files.withPast;
}

/** Variants whose decoder (merged, or the unmerged pair) is present in a model folder, best (full precision) first. */
export function installedVariants(dir: string): ModelVariant[] {
  return MODEL_VARIANTS.filter(
    (v) => existsSync(join(dir, onnxFile('decoder', v))) || Object.values(pairFiles(v)).every((f) => existsSync(join(dir, f))),
  );
}
