/**
 * Splits optimum's merged decoder (one `If` on `use_cache_branch`) into two models that share its
 * weights by reference:
 *
 * - `*.continuo-with-past.onnx`: the cached branch as a plain graph. It runs every step, the
 *   first one too (with an empty self-attention cache).
 * - `*.continuo-two-block.onnx`: the same with its self-attention cache in two blocks, so that a
 *   step does not copy the whole cache (see two-block-cache); used when the probe agrees.
 * - `*.continuo-cross.onnx`: the part of the uncached branch that computes the cross-attention
 *   K/V from the text states, run once per generation.
 *
 * Why: ONNX Runtime prepacks each MatMul weight once per kernel, and both branches hold kernels
 * for the same weights, so the merged model costs twice its size in memory; its `If` also copies
 * every output, the whole KV cache, once more per step. Both derived files are small: their
 * initializers are ONNX external data pointing into the original file's bytes.
 */
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { writeFileAtomic } from '../../atomic-file';
import { freeNames, prune, subgraphs } from './graph-utils';
import { scanModel, type GraphProto, type InitializerRef, type ScannedModel, type TensorProto } from './scan-model';
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

export function splitFilesFor(mergedPath: string): SplitFiles {
  const base = basename(mergedPath, '.onnx');
  return {
    decoder: join(dirname(mergedPath), `${base}.continuo-with-past.onnx`),
    twoBlock: join(dirname(mergedPath), `${base}.continuo-two-block.onnx`),
    cross: join(dirname(mergedPath), `${base}.continuo-cross.onnx`),
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

/** A branch of the If as a standalone graph: its outer references become inputs or initializers. */
function promote(model: ScannedModel, location: string, name: string, branch: GraphProto, outerNames: string[], keep: number[]): GraphProto {
  const outputs = keep.map((i) => branch.output![i]);
  const names = new Map(keep.map((i) => [branch.output![i].name!, outerNames[i]]));
  const nodes = renamed(prune(branch.node ?? [], outputs.map((o) => o.name!)), names);
  const local = (branch.initializer ?? []).map((t) => t.name!);
  const outerNodes = (model.graph.node ?? []).filter((n) => n.opType !== 'If');
  let free = freeNames(nodes, local);
  const pre = prune(outerNodes, [...free]);
  free = freeNames([...pre, ...nodes], local);
  const inputs: ValueInfoProto[] = (model.graph.input ?? []).filter((i) => free.has(i.name!) && i.name !== 'use_cache_branch');
  const initializers = [...free].flatMap((n) => (model.initializers.has(n) ? [externalTensor(model.initializers.get(n)!, location)] : []));
  const missing = [...free].filter((n) => !inputs.some((i) => i.name === n) && !model.initializers.has(n));
  if (missing.length) throw new Error(`the ${name} graph reads values the merged model does not provide: ${missing.slice(0, 3).join(', ')}`);
  return {
    name,
    node: [...pre, ...nodes],
    input: inputs,
    output: outputs.map((o, j) => ({ ...o, name: outerNames[keep[j]] })),
    initializer: [...(branch.initializer ?? []), ...initializers],
  };
}

function writeGraph(path: string, model: ScannedModel, graph: GraphProto): void {
  const bytes = onnx.ModelProto.encode({ ...model.header, producerName: 'continuo (split of an optimum merged decoder)', graph }).finish();
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

/**
 * The files a split of `mergedPath` reads: the merged file itself (its weights are referenced by
 * offset) and every external-data file its tensors point into.
 */
function sourcesOf(mergedPath: string, model: ScannedModel): string[] {
  const locations = externalLocations(model.graph);
  for (const ref of model.initializers.values()) if ('inline' in ref) externalLocations({ initializer: [ref.inline] }, locations);
  return [mergedPath, ...[...locations].sort().map((l) => join(dirname(mergedPath), l))];
}

/**
 * Writes the split files; `twoBlockError` says why the two-block file could not be made (the
 * plain cached branch is still written and usable); `sources` are the files the split reads.
 */
export function splitMergedDecoder(mergedPath: string): { files: SplitFiles; sources: string[]; twoBlockError?: string } {
  const model = scanModel(mergedPath);
  const ifNode = (model.graph.node ?? []).find((n) => n.opType === 'If' && n.input?.[0] === 'use_cache_branch');
  if (!ifNode) throw new Error('it is not a merged decoder (no If on use_cache_branch)');
  const branch = (name: string) => ifNode.attribute?.find((a) => a.name === name)?.g;
  const withPast = branch('then_branch');
  const noPast = branch('else_branch');
  if (!withPast || !noPast) throw new Error('its If node lacks a branch');
  const outer = ifNode.output ?? [];
  const all = outer.map((_, i) => i);
  const cross = all.filter((i) => /^present\.\d+\.encoder\.(key|value)$/.test(outer[i]));
  if (cross.length === 0) throw new Error('it returns no cross-attention presents');
  const location = basename(mergedPath);
  const files = splitFilesFor(mergedPath);
  const sources = sourcesOf(mergedPath, model);
  const decoder = promote(model, location, 'decoder_with_past', withPast, outer, all);
  writeGraph(files.decoder, model, decoder);
  writeGraph(files.cross, model, promote(model, location, 'cross_attention_kv', noPast, outer, cross));
  const layers = (decoder.input ?? []).filter((i) => /^past_key_values\.\d+\.decoder\.key$/.test(i.name ?? '')).length;
  try {
    writeGraph(files.twoBlock, model, twoBlockCacheGraph(decoder, layers));
    return { files, sources };
  } catch (error) {
    rmSync(files.twoBlock, { force: true });
    return { files, sources, twoBlockError: (error as Error).message };
  }
}
