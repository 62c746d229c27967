/**
 * The unmerged decoder pair some exports ship instead of the merged file (optimum's own output
 * before `merge_decoders`): `decoder_model.onnx` (no past; returns every present, the
 * cross-attention K/V included) and `decoder_with_past_model.onnx` (with the past; returns the
 * self-attention presents only). Each file holds its own copy of the weights it reads, as the
 * exporter writes them. Made from a merged model by taking each branch of its `If`.
 */
import { freeNames, prune } from '../../src/main/engine/onnx-split/graph-utils';
import type { ModelDoc } from './model-doc';
import type { GraphProto, NodeProto } from './onnx-graph';

function renamed(nodes: NodeProto[], names: Map<string, string>): NodeProto[] {
  const map = (n: string) => names.get(n) ?? n;
  return nodes.map((node) => ({
    ...node,
    input: (node.input ?? []).map(map),
    output: (node.output ?? []).map(map),
    attribute: (node.attribute ?? []).map((a) => (a.g ? { ...a, g: { ...a.g, node: renamed(a.g.node ?? [], names) } } : a)),
  }));
}

function branchModel(doc: ModelDoc, ifNode: NodeProto, branch: GraphProto, keep: (name: string) => boolean): ModelDoc {
  const outer = ifNode.output ?? [];
  const kept = outer.map((name, i) => ({ name, inner: branch.output![i] })).filter((o) => keep(o.name));
  const names = new Map(kept.map((o) => [o.inner.name!, o.name]));
  const outerNodes = (doc.graph.node ?? []).filter((n) => n !== ifNode);
  const nodes = prune(
    [...outerNodes, ...renamed(branch.node ?? [], names)],
    kept.map((o) => o.name),
  );
  const free = freeNames(
    nodes,
    (branch.initializer ?? []).map((t) => t.name!),
  );
  return {
    ...doc,
    graph: {
      name: branch.name,
      node: nodes,
      input: (doc.graph.input ?? []).filter((i) => free.has(i.name!)),
      output: kept.map((o) => ({ ...o.inner, name: o.name })),
      initializer: branch.initializer ?? [],
    },
    weights: doc.weights.filter((w) => free.has(w.name)),
  };
}

export function unmergeDecoder(merged: ModelDoc): { noPast: ModelDoc; withPast: ModelDoc } {
  const ifNode = (merged.graph.node ?? []).find((n) => n.opType === 'If' && n.input?.[0] === 'use_cache_branch');
  const branch = (name: string) => ifNode?.attribute?.find((a) => a.name === name)?.g;
  const [withPast, noPast] = [branch('then_branch'), branch('else_branch')];
  if (!ifNode || !withPast || !noPast) throw new Error('not a merged decoder (no If on use_cache_branch with two branches)');
  return {
    noPast: branchModel(merged, ifNode, noPast, () => true),
    withPast: branchModel(merged, ifNode, withPast, (name) => !/^present\.\d+\.encoder\./.test(name)),
  };
}
