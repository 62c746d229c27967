/**
 * What each ONNX file of a model must declare for the engine to run it, checked at load against
 * the files' declared inputs and outputs (read without their weights) and against config.json.
 * A swapped, foreign or mismatched file then fails before any session is created, with a message
 * that names the file and says what to do, instead of as a raw onnxruntime error mid-generation.
 */
import { join } from 'node:path';
import type { ModelSpec } from './config';
import { pastNames, presentName } from './decoder-runner';
import { EngineError } from './errors';
import { readGraphIO, type DeclaredValue, type GraphIO } from './onnx-split/scan-model';
import { recentName } from './onnx-split/two-block-cache';
import type { DecoderFiles, SessionName } from './model-files';

const REPAIR = 'Download the model again (continuo models pull).';

/** What a graph in a given role takes and returns, by name. */
interface Contract {
  what: string;
  /** Inputs it must have. */
  inputs: string[];
  /** Inputs it may have besides (the engine feeds them when present). */
  optionalInputs?: string[];
  outputs: string[];
}

const MAIN_CONTRACTS: Record<SessionName, Contract> = {
  textEncoder: { what: 'a text encoder', inputs: ['input_ids'], optionalInputs: ['attention_mask'], outputs: ['last_hidden_state'] },
  decoder: {
    what: 'a merged MusicGen decoder',
    inputs: ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask', 'use_cache_branch'],
    outputs: ['logits'],
  },
  codecDecoder: { what: 'a codec decoder', inputs: ['audio_codes'], outputs: ['audio_values'] },
  codecEncoder: { what: 'a codec encoder', inputs: ['input_values'], outputs: ['audio_codes'] },
};

const FILE_NAMES: Record<SessionName, string> = {
  textEncoder: 'the text encoder (text_encoder.onnx)',
  decoder: 'the decoder (decoder_model_merged.onnx)',
  codecDecoder: 'the codec decoder (encodec_decode.onnx)',
  codecEncoder: 'the codec encoder (encodec_encoder.onnx)',
};

const list = (names: string[]) => `[${names.length > 6 ? [...names.slice(0, 6), '…'].join(', ') : names.join(', ')}]`;

function fulfils(inputs: string[], outputs: string[], contract: Contract): boolean {
  const allowed = new Set([...contract.inputs, ...(contract.optionalInputs ?? [])]);
  return (
    contract.inputs.every((n) => inputs.includes(n)) &&
    inputs.every((n) => allowed.has(n)) &&
    contract.outputs.every((n) => outputs.includes(n))
  );
}

/** Whether a graph has at least the named inputs and outputs of `contract` (to say what a wrong file looks like). */
function resembles(inputs: string[], outputs: string[], contract: Contract): boolean {
  return contract.inputs.every((n) => inputs.includes(n)) && contract.outputs.every((n) => outputs.includes(n));
}

/** Throws naming `file` when its inputs/outputs are not those of `contract`. */
export function checkNames(file: string, inputs: string[], outputs: string[], contract: Contract): void {
  if (fulfils(inputs, outputs, contract)) return;
  const looksLike = (Object.keys(MAIN_CONTRACTS) as SessionName[]).find(
    (s) => MAIN_CONTRACTS[s] !== contract && resembles(inputs, outputs, MAIN_CONTRACTS[s]),
  );
  const takes = contract.optionalInputs?.length
    ? `${contract.inputs.join(', ')} (and ${contract.optionalInputs.join(', ')})`
    : contract.inputs.join(', ');
  throw new EngineError(
    'model-file-mismatch',
    `${file} declares inputs ${list(inputs)} and outputs ${list(outputs)}, but ${contract.what} takes ${takes} and returns ${contract.outputs.join(', ')}` +
      `${looksLike ? `; it looks like ${FILE_NAMES[looksLike]}` : ''}: the files look swapped or damaged. ${REPAIR}`,
    file,
  );
}

/** Declared I/O of a model file; a file that cannot be read that far is reported as corrupt. */
export function declaredIO(file: string): GraphIO {
  try {
    return readGraphIO(file);
  } catch (error) {
    throw new EngineError(
      'model-file-corrupt',
      `${file} could not be loaded: it looks truncated or corrupt (${(error as Error).message}). Run "continuo models verify" or download the model again.`,
      file,
      { cause: error },
    );
  }
}

const names = (values: DeclaredValue[]) => values.map((v) => v.name);
const find = (values: DeclaredValue[], name: string) => values.find((v) => v.name === name);

/** A fixed size declared for an axis, or undefined when the axis is symbolic or not declared. */
function fixed(value: DeclaredValue | undefined, axis: number): number | undefined {
  const dims = value?.dims;
  if (!dims) return undefined;
  const d = dims[axis < 0 ? dims.length + axis : axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

function disagree(configPath: string, field: string, configValue: number, file: string, declares: string): never {
  throw new EngineError(
    'model-file-mismatch',
    `${configPath} says ${field} is ${configValue}, but ${file} ${declares}: config.json and the model files do not belong together. ${REPAIR}`,
    configPath,
  );
}

export interface MainFiles {
  textEncoder: string;
  decoder: DecoderFiles;
  codecDecoder: string;
}

/**
 * Checks the text encoder, the decoder and the codec decoder against what the engine feeds them,
 * against each other and against config.json.
 */
export function checkModelFiles(dir: string, files: MainFiles, spec: ModelSpec): void {
  const configPath = join(dir, 'config.json');
  const text = declaredIO(files.textEncoder);
  checkNames(files.textEncoder, names(text.inputs), names(text.outputs), MAIN_CONTRACTS.textEncoder);
  const decoderFiles: [string, DecoderKind][] =
    files.decoder.layout === 'merged'
      ? [[files.decoder.merged, 'merged']]
      : [
          [files.decoder.noPast, 'no-past'],
          [files.decoder.withPast, 'with-past'],
        ];
  for (const [file, kind] of decoderFiles) checkDecoderIO(file, declaredIO(file), spec, configPath, kind);
  // The text states go to the merged file, or to the pair's first-step file.
  const decoderFile = decoderFiles[0][0];
  const decoder = declaredIO(decoderFile);
  const codec = declaredIO(files.codecDecoder);
  checkNames(files.codecDecoder, names(codec.inputs), names(codec.outputs), MAIN_CONTRACTS.codecDecoder);
  checkCodecShapes(files.codecDecoder, find(codec.inputs, 'audio_codes'), find(codec.outputs, 'audio_values'), spec, configPath);

  const textWidth = fixed(find(text.outputs, 'last_hidden_state'), 2);
  const decoderWidth = fixed(find(decoder.inputs, 'encoder_hidden_states'), 2);
  if (textWidth && decoderWidth && textWidth !== decoderWidth) {
    throw new EngineError(
      'model-file-mismatch',
      `${files.textEncoder} returns text states of width ${textWidth}, but ${decoderFile} takes width ${decoderWidth}: the two files come from different models. ${REPAIR}`,
      files.textEncoder,
    );
  }
}

/** What each decoder file of a layout takes besides its cache (see model-files' DecoderFiles). */
const DECODER_CONTRACTS = {
  merged: MAIN_CONTRACTS.decoder,
  'no-past': {
    what: 'a MusicGen decoder without past (decoder_model.onnx)',
    inputs: ['input_ids', 'encoder_hidden_states'],
    optionalInputs: ['encoder_attention_mask'],
    outputs: ['logits'],
  },
  'with-past': {
    what: 'a MusicGen decoder with past (decoder_with_past_model.onnx)',
    inputs: ['input_ids'],
    optionalInputs: ['encoder_hidden_states', 'encoder_attention_mask'],
    outputs: ['logits'],
  },
} satisfies Record<string, Contract>;

type DecoderKind = keyof typeof DECODER_CONTRACTS;

function checkDecoderIO(file: string, io: GraphIO, spec: ModelSpec, configPath: string, kind: DecoderKind): void {
  const inputs = names(io.inputs);
  const outputs = names(io.outputs);
  const past = inputs.filter((n) => n.startsWith('past_key_values.'));
  checkNames(
    file,
    inputs.filter((n) => !past.includes(n)),
    outputs.filter((n) => !n.startsWith('present.')),
    DECODER_CONTRACTS[kind],
  );
  const declaredLayers =
    kind === 'no-past'
      ? outputs.filter((n) => /^present\.\d+\.decoder\.key$/.test(n))
      : inputs.filter((n) => /^past_key_values\.\d+\.decoder\.key$/.test(n));
  const layers = declaredLayers.length;
  if (layers !== spec.layers) disagree(configPath, 'num_hidden_layers', spec.layers, file, `has ${layers} layers`);
  const expected = pastNames(spec.layers);
  // The no-past file takes no cache; the with-past file of the pair returns the self-attention presents only.
  const wantedInputs = kind === 'no-past' ? [] : expected;
  const wantedOutputs = (kind === 'with-past' ? expected.filter((n) => !n.includes('.encoder.')) : expected).map(presentName);
  const missing = [...wantedInputs.filter((n) => !inputs.includes(n)), ...wantedOutputs.filter((n) => !outputs.includes(n))];
  const unknown = past.filter((n) => !wantedInputs.includes(n));
  if (missing.length || unknown.length) {
    throw new EngineError(
      'model-file-mismatch',
      `${file} does not have the KV-cache inputs and outputs of a MusicGen decoder (${missing.length ? `missing ${list(missing)}` : `unexpected ${list(unknown)}`}): it looks damaged or exported differently. ${REPAIR}`,
      file,
    );
  }
  const cache = kind === 'no-past' ? find(io.outputs, presentName(expected[0])) : find(io.inputs, expected[0]);
  const heads = fixed(cache, 1);
  if (heads && heads !== spec.heads) disagree(configPath, 'num_attention_heads', spec.heads, file, `has ${heads} attention heads`);
  const headDim = fixed(cache, 3);
  if (headDim && headDim !== spec.headDim)
    disagree(configPath, 'hidden_size / num_attention_heads', spec.headDim, file, `has attention heads of size ${headDim}`);
  const vocab = fixed(find(io.outputs, 'logits'), -1);
  if (vocab && vocab !== spec.codebookSize)
    disagree(configPath, 'vocab_size', spec.codebookSize, file, `returns logits over ${vocab} codes`);
}

function checkCodecShapes(
  file: string,
  codes: DeclaredValue | undefined,
  audio: DeclaredValue | undefined,
  spec: ModelSpec,
  configPath: string,
): void {
  const codebooks = fixed(codes, 2);
  if (codebooks && codebooks !== spec.codebooks)
    disagree(configPath, 'num_codebooks', spec.codebooks, file, `handles ${codebooks} codebooks`);
  const channels = fixed(audio, 1);
  if (channels && channels !== spec.channels)
    disagree(configPath, 'audio_channels', spec.channels, file, `handles ${channels}-channel audio`);
}

/** The codec encoder, opened only to continue audio without stored codes. */
export function checkCodecEncoder(dir: string, file: string, spec: ModelSpec): void {
  const io = declaredIO(file);
  checkNames(file, names(io.inputs), names(io.outputs), MAIN_CONTRACTS.codecEncoder);
  checkCodecShapes(file, find(io.outputs, 'audio_codes'), find(io.inputs, 'input_values'), spec, join(dir, 'config.json'));
}

/**
 * The derived decoder files (see onnx-split): the cached branch, plain or two-block, and the
 * cross-attention K/V (which exports may compute with the first step's `input_ids` in hand).
 */
export function checkDerivedDecoder(
  file: string,
  inputs: readonly string[],
  outputs: readonly string[],
  spec: ModelSpec,
  kind: 'with-past' | 'two-block' | 'cross',
): void {
  const past = pastNames(spec.layers);
  const self = past.filter((n) => !n.includes('.encoder.'));
  const contract: Contract =
    kind === 'cross'
      ? {
          what: 'the cross-attention part of the decoder',
          inputs: ['encoder_hidden_states'],
          optionalInputs: ['encoder_attention_mask', 'input_ids'],
          outputs: past.filter((n) => n.includes('.encoder.')).map(presentName),
        }
      : {
          what: `the decoder's cached branch`,
          inputs: ['input_ids', ...self, ...(kind === 'two-block' ? self.map(recentName) : [])],
          optionalInputs: ['encoder_hidden_states', 'encoder_attention_mask', ...past.filter((n) => n.includes('.encoder.'))],
          outputs: ['logits', ...self.map(presentName)],
        };
  checkNames(file, [...inputs], [...outputs], contract);
}
