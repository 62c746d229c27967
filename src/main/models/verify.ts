/**
 * Re-checks an installed model against its install record (`continuo-install.json`): every file
 * must exist, have the recorded size and hash to the recorded sha256. A disk error, an antivirus
 * "repair" or a copy interrupted half-way shows up here instead of as a crash inside onnxruntime.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../paths';
import { ModelError } from './errors';
import { hashFile } from './hash';
import { checkDerivedModelFiles, describeDerived, type DerivedFileCheck } from './derived';
import { pullCommand } from '../../shared/cli-command';
import { MANIFEST_NAME, readManifest, unhashedFiles } from './manifest';
import { MODEL_VARIANTS } from '../engine/model-files';

export interface VerifyProblem {
  file: string;
  problem: 'missing' | 'size' | 'sha256';
}

export interface VerifyResult {
  ok: boolean;
  problems: VerifyProblem[];
  /** One sentence for the user: all intact, or what to run to repair it. */
  message: string;
  /** Files the engine derived from the model's decoders: each checked, and a bad one removed so the next load rebuilds it. */
  derived: DerivedFileCheck[];
  /**
   * What the check cannot vouch for: files whose download had no published sha256 (checked by
   * size only), so their recorded hash is only as good as that download.
   */
  warnings: string[];
}

export interface VerifyProgress {
  file: string;
  fileIndex: number;
  files: number;
  /** Bytes of this file hashed so far. */
  bytes: number;
  totalBytes: number;
}

export interface VerifyOptions {
  onProgress?: (progress: VerifyProgress) => void;
  signal?: AbortSignal;
}

export async function verifyModel(dataDir: string, id: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const root = join(modelsDir(dataDir), id);
  if (/[\\/]/.test(id) || id === '..' || !existsSync(root)) throw new ModelError('not-installed', `The model "${id}" is not installed.`);
  // A model installed one folder per variant (<id>/<variant>/) is checked folder by folder.
  const folders = readManifest(root)
    ? [{ dir: root, prefix: '' }]
    : MODEL_VARIANTS.filter((v) => readManifest(join(root, v))).map((v) => ({ dir: join(root, v), prefix: `${v}/` }));
  if (folders.length === 0) {
    throw new ModelError(
      'install-record-missing',
      `${id} has no readable ${MANIFEST_NAME}, so there is nothing to check it against (it was not installed by "models pull"). Reinstall it with: ${pullCommand(id)}`,
    );
  }
  const problems: VerifyProblem[] = [];
  const derived: DerivedFileCheck[] = [];
  const unhashed: string[] = [];
  const variants: string[] = [];
  let count = 0;
  for (const { dir, prefix } of folders) {
    const manifest = readManifest(dir)!;
    variants.push(...manifest.variants);
    count += manifest.files.length;
    for (const [fileIndex, file] of manifest.files.entries()) {
      const path = join(dir, file.path);
      const name = `${prefix}${file.path}`;
      const report = (bytes: number) =>
        options.onProgress?.({ file: name, fileIndex, files: manifest.files.length, bytes, totalBytes: file.bytes });
      if (!existsSync(path)) {
        problems.push({ file: name, problem: 'missing' });
        continue;
      }
      if (statSync(path).size !== file.bytes) {
        problems.push({ file: name, problem: 'size' });
        continue;
      }
      report(0);
      const { sha256 } = await hashFile(path, { signal: options.signal, onBytes: report });
      if (sha256 !== file.sha256) problems.push({ file: name, problem: 'sha256' });
    }
    derived.push(
      ...checkDerivedModelFiles(
        dir,
        manifest.files.map((f) => f.path),
      ).map((d) => ({ ...d, file: `${prefix}${d.file}` })),
    );
    unhashed.push(...unhashedFiles(manifest).map((f) => `${prefix}${f.path}`));
  }
  const pulls = variants.map((v) => `"${pullCommand(id, v)}"`).join(' and ');
  const message =
    problems.length === 0
      ? `${id}: all ${count} files are intact.${describeDerived(derived)}`
      : `${id} is damaged (${problems.map((p) => `${p.file}: ${p.problem === 'missing' ? 'missing' : p.problem === 'size' ? 'wrong size' : 'contents changed'}`).join(', ')}). Run ${pulls || `"${pullCommand(id)}"`} again to repair it.`;
  const warnings = unhashed.length
    ? [
        `size checked only: no published sha256 for ${unhashed.join(', ')}, so when downloaded they were checked against their size alone; this check compares them with the sha256 recorded at install.`,
      ]
    : [];
  return { ok: problems.length === 0, problems, message, warnings, derived };
}
