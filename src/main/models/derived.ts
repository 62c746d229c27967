/**
 * Files the engine derives beside an installed model (the split decoder, `*.continuo-*`; see
 * engine/decoder-loader). They are not part of the install record, so hashing the record does not
 * cover them: `verify` and `pull` check them here, and remove a bad one so the next load rebuilds it.
 */
import { join, relative, sep } from 'node:path';
import { checkDerivedFiles } from '../engine/derived-files';

export interface DerivedFileCheck {
  /** Path relative to the model folder. */
  file: string;
  /** `removed`: it did not match the decoder it was derived from; it is rebuilt at the next load. */
  state: 'ok' | 'removed';
  problem?: string;
}

/** Checks the derived files of every ONNX file of an installed model (of the paths given). */
export function checkDerivedModelFiles(dir: string, files: string[]): DerivedFileCheck[] {
  return files
    .filter((f) => f.endsWith('.onnx'))
    .flatMap((f) => checkDerivedFiles(join(dir, f)))
    .map((r) => ({ file: relative(dir, r.path).split(sep).join('/'), state: r.state, ...(r.problem ? { problem: r.problem } : {}) }));
}

/** One sentence about the derived files for verify's message, or '' when there are none. */
export function describeDerived(checks: DerivedFileCheck[]): string {
  const removed = checks.filter((c) => c.state === 'removed');
  if (removed.length) {
    return ` Removed ${removed.length === 1 ? 'a derived decoder file that does' : `${removed.length} derived decoder files that do`} not match the model (${removed.map((c) => `${c.file}: ${c.problem}`).join(', ')}); the next load rebuilds ${removed.length === 1 ? 'it' : 'them'}.`;
  }
  return checks.length ? ` The ${checks.length} decoder files derived from it are intact too.` : '';
}
