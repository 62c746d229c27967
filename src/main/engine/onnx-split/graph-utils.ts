/** Walking ONNX graphs: which names nodes read, and which nodes an output needs. */
import type onnxProto from 'onnx-proto';
import type { GraphProto } from './scan-model';

type NodeProto = onnxProto.onnx.INodeProto;

export function subgraphs(node: NodeProto): GraphProto[] {
  return (node.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

/** Names a list of nodes reads from outside itself (nested subgraphs' outer references included). */
export function freeNames(nodes: NodeProto[], local: Iterable<string> = []): Set<string> {
  const produced = new Set<string>(local);
  const used = new Set<string>();
  for (const node of nodes) {
    for (const input of node.input ?? []) if (input && !produced.has(input)) used.add(input);
    for (const g of subgraphs(node)) {
      const inner = freeNames(g.node ?? [], [...(g.initializer ?? []).map((t) => t.name!), ...(g.input ?? []).map((i) => i.name!)]);
      for (const name of inner) if (!produced.has(name)) used.add(name);
    }
    for (const output of node.output ?? []) produced.add(output);
  }
  return used;
}

/** The nodes needed to compute `outputs`, in their original order. */
export function prune(nodes: NodeProto[], outputs: string[]): NodeProto[] {
  const needed = new Set(outputs);
  const kept: NodeProto[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const name of freeNames([node])) needed.add(name);
  }
  return kept.reverse();
}
