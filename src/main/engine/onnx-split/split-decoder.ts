/**
 * Splits a MusicGen decoder into the two models the engine runs, which share its weights by
 * reference:
 *
 * - `*.continuo-with-past.onnx`: the cached branch as a plain graph. It runs every step, the
 *   first one too (with an empty self-attention cache).
 * - `*.continuo-two-block.onnx`: the same with its self-attention cache in two blocks, so that a
 *   step does not copy the whole cache (see two-block-cache); used when the probe agrees.
 * - `*.continuo-cross.onnx`: the part of the uncached branch that computes the cross-attention
 *   K/V from the text states, run once per generation (with the first step's feeds).
 *
 * The decoder is optimum's merged file (one `If` on `use_cache_branch`: the branches are taken
 * from it) or the unmerged pair (`decoder_with_past_model` is the cached branch, the K/V are
 * pruned from `decoder_model`); the derived files are named after the merged file, or after the
 * with-past file of the pair.
 *
 * Why: ONNX Runtime prepacks each MatMul weight once per kernel, and both branches hold kernels
 * for the same weights, so the merged model costs twice its size in memory; its `If` also copies
 * every output, the whole KV cache, once more per step. The derived files are small: their
 * initializers are ONNX external data pointing into the original file's bytes (or into its own
 * external-data file, `*.onnx_data`, where its weights already are).
 */
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { writeFileAtomic } from '../../atomic-file';
import { freeNames, prune, subgraphs } from './graph-utils';
import type { DecoderFiles } from '../model-files';
import { scanModel, type GraphProto, type InitializerRef, type ScannedModel, type TensorProto } from './scan-model';
import { dedupeShapes } from './shape-dedupe';
import { twoBlockCacheGraph } from './two-block-cache';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

export interface SplitFiles {
  decoder: string;
  /** The cached branch with a two-block self-attention cache (see two-block-cache). */
  twoBlock: string;
  cross: string;
}

/** The derived files of the decoder whose split key (see splitKey) is `key`. */
export function splitFilesFor(key: string): SplitFiles {
  const base = basename(key, '.onnx');
  return {
    decoder: join(dirname(key), `${base}.continuo-with-past.onnx`),
    twoBlock: join(dirname(key), `${base}.continuo-two-block.onnx`),
    cross: join(dirname(key), `${base}.continuo-cross.onnx`),
  };
}

function renamed(nodes: NodeProto[], names: Map<string, string>): NodeProto[] {
  const map = (n: string) => names.get(n) ?? n;
  return nodes.map((node) => ({
    ...node,
    input: (node.input ?? []).map(map),
    output: (node.output ?? []).map(map),
    attribute: (node.attribute ?? []).map((a) => (a.g ? { ...a, g: { ...a.g, node: renamed(a.g.node ?? [], names) } } : a)),
  }));
}

function externalTensor(ref: InitializerRef, location: string): TensorProto {
  if ('inline' in ref) return ref.inline;
  return {
    name: ref.name,
    dims: ref.dims,
    dataType: ref.dataType,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(ref.offset) },
      { key: 'length', value: String(ref.length) },
    ],
  };
}

/**
 * Nodes that compute `outputs` as a standalone graph: the names they read from outside become the
 * model's inputs or initializers (weights by reference into `location`). `outer` are nodes of the
 * enclosing graph a branch may read from (none for a file of the pair).
 */
function standalone(
  model: ScannedModel,
  location: string,
  name: string,
  body: { nodes: NodeProto[]; initializer: TensorProto[]; outputs: ValueInfoProto[] },
  outer: NodeProto[],
): GraphProto {
  const nodes = prune(
    body.nodes,
    body.outputs.map((o) => o.name!),
  );
  const local = body.initializer.map((t) => t.name!);
  let free = freeNames(nodes, local);
  const pre = prune(outer, [...free]);
  free = freeNames([...pre, ...nodes], local);
  const inputs: ValueInfoProto[] = (model.graph.input ?? []).filter((i) => free.has(i.name!) && i.name !== 'use_cache_branch');
  const initializers = [...free].flatMap((n) => (model.initializers.has(n) ? [externalTensor(model.initializers.get(n)!, location)] : []));
  const missing = [...free].filter((n) => !inputs.some((i) => i.name === n) && !model.initializers.has(n));
  if (missing.length) throw new Error(`the ${name} graph reads values the decoder does not provide: ${missing.slice(0, 3).join(', ')}`);
  return { name, node: [...pre, ...nodes], input: inputs, output: body.outputs, initializer: [...body.initializer, ...initializers] };
}

/** A branch of the If as a standalone graph, returning the If's outputs numbered `keep`. */
function promote(
  model: ScannedModel,
  location: string,
  name: string,
  branch: GraphProto,
  outerNames: string[],
  keep: number[],
): GraphProto {
  const names = new Map(keep.map((i) => [branch.output![i].name!, outerNames[i]]));
  const outputs = keep.map((i) => ({ ...branch.output![i], name: outerNames[i] }));
  const outer = (model.graph.node ?? []).filter((n) => n.opType !== 'If');
  return standalone(
    model,
    location,
    name,
    { nodes: renamed(branch.node ?? [], names), initializer: branch.initializer ?? [], outputs },
    outer,
  );
}

/** A file of the pair as a standalone graph returning the outputs `keep` picks. */
function whole(model: ScannedModel, location: string, name: string, keep: (output: string) => boolean): GraphProto {
  const outputs = (model.graph.output ?? []).filter((o) => keep(o.name!));
  return standalone(model, location, name, { nodes: model.graph.node ?? [], initializer: model.graph.initializer ?? [], outputs }, []);
}

function writeGraph(path: string, model: ScannedModel, graph: GraphProto): void {
  const bytes = onnx.ModelProto.encode({ ...model.header, producerName: 'continuo (split of a MusicGen decoder)', graph }).finish();
  writeFileAtomic(path, bytes);
}

/** External-data files (locations relative to the model's folder) that the tensors of a graph point into. */
function externalLocations(graph: GraphProto, found = new Set<string>()): Set<string> {
  const visit = (t: TensorProto | null | undefined) => {
    if (t?.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return;
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    if (location) found.add(location);
  };
  (graph.initializer ?? []).forEach(visit);
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      visit(a.t);
      (a.tensors ?? []).forEach(visit);
    }
    for (const g of subgraphs(node)) externalLocations(g, found);
  }
  return found;
}

/** The external-data files (absolute paths) a scanned model's tensors point into. */
function externalFiles(path: string, model: ScannedModel): string[] {
  const locations = externalLocations(model.graph);
  for (const ref of model.initializers.values()) if ('inline' in ref) externalLocations({ initializer: [ref.inline] }, locations);
  return [...locations].sort().map((l) => join(dirname(path), l));
}

/** The file the derived files are named after (and their stamp is kept beside). */
export function splitKey(files: DecoderFiles): string {
  return files.layout === 'merged' ? files.merged : files.withPast;
}

const QUANTIZED_OPS = new Set([
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'DequantizeLinear',
  'QLinearMatMul',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'MatMulNBits',
  'GatherBlockQuantized',
]);

function isQuantized(graph: GraphProto): boolean {
  return (graph.node ?? []).some((n) => QUANTIZED_OPS.has(n.opType ?? '') || subgraphs(n).some(isQuantized));
}

export interface SplitResult {
  files: SplitFiles;
  /** Every file the derived graphs read: the decoder file(s) and their external-data files, the key first. */
  sources: string[];
  /** Whether the decoder computes with quantized weights (its activations quantized at run time). */
  quantized: boolean;
  /** Why the two-block file could not be made (the plain cached branch is still written and usable). */
  twoBlockError?: string;
}

const isEncoderPresent = (name: string) => /^present\.\d+\.encoder\.(key|value)$/.test(name);

/** The cached branch and the cross-attention K/V graph, from the merged file or the pair. */
function branches(files: DecoderFiles): { decoder: GraphProto; cross: GraphProto; scanned: ScannedModel[]; sources: string[] } {
  if (files.layout === 'pair') {
    const withPast = scanModel(files.withPast);
    const noPast = scanModel(files.noPast);
    const cross = whole(noPast, basename(files.noPast), 'cross_attention_kv', isEncoderPresent);
    if (!(cross.output ?? []).length) throw new Error(`${basename(files.noPast)} returns no cross-attention presents`);
    return {
      decoder: whole(withPast, basename(files.withPast), 'decoder_with_past', (name) => !isEncoderPresent(name)),
      cross,
      scanned: [withPast, noPast],
      sources: [
        files.withPast,
        files.noPast,
        ...new Set([...externalFiles(files.withPast, withPast), ...externalFiles(files.noPast, noPast)]),
      ],
    };
  }
  const model = scanModel(files.merged);
  const ifNode = (model.graph.node ?? []).find((n) => n.opType === 'If' && n.input?.[0] === 'use_cache_branch');
  if (!ifNode) throw new Error('it is not a merged decoder (no If on use_cache_branch)');
  const branch = (name: string) => ifNode.attribute?.find((a) => a.name === name)?.g;
  const withPast = branch('then_branch');
  const noPast = branch('else_branch');
  if (!withPast || !noPast) throw new Error('its If node lacks a branch');
  const outer = ifNode.output ?? [];
  const all = outer.map((_, i) => i);
  const cross = all.filter((i) => isEncoderPresent(outer[i]));
  if (cross.length === 0) throw new Error('it returns no cross-attention presents');
  const location = basename(files.merged);
  return {
    decoder: promote(model, location, 'decoder_with_past', withPast, outer, all),
    cross: promote(model, location, 'cross_attention_kv', noPast, outer, cross),
    scanned: [model],
    sources: [files.merged, ...externalFiles(files.merged, model)],
  };
}

/** Writes the split files beside the decoder. */
export function splitDecoder(files: DecoderFiles): SplitResult {
  const key = splitKey(files);
  const { decoder, cross, scanned, sources } = branches(files);
  const header = scanned[0];
  const derived = splitFilesFor(key);
  // Repeated shape arithmetic (exported graphs compute each layer's views anew) is computed once.
  writeGraph(derived.decoder, header, dedupeShapes(decoder));
  writeGraph(derived.cross, header, dedupeShapes(cross));
  const quantized = scanned.some((m) => isQuantized(m.graph));
  const layers = (decoder.input ?? []).filter((i) => /^past_key_values\.\d+\.decoder\.key$/.test(i.name ?? '')).length;
  try {
    writeGraph(derived.twoBlock, header, dedupeShapes(twoBlockCacheGraph(decoder, layers)));
    return { files: derived, sources, quantized };
  } catch (error) {
    rmSync(derived.twoBlock, { force: true });
    return { files: derived, sources, quantized, twoBlockError: (error as Error).message };
  }
}
