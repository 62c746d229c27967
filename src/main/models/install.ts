/**
 * Installs a catalog model into `<dataDir>/models/<id>/`: checks the catalog and the free disk
 * space, downloads every file of the chosen variant into `<id>.partial/` (resumable), and only
 * when all of them are verified moves them into place — in one directory rename for a first
 * install, file by file into an existing folder when adding a variant, so an install that fails
 * half-way never leaves a folder the app would try to load.
 *
 * It draws nothing: it reports one progress union (the Beekeeper Studio / transformers.js shape),
 * which the services forward to the UI and the CLI.
 */
import { existsSync, readdirSync, statSync, statfsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ModelVariant } from '../engine/model-files';
import { modelsDir } from '../paths';
import { filesFor, findModel, loadCatalog, unknownVariant, variantsOf, type Catalog, type CatalogEntry, type CatalogFile } from './catalog';
import { downloadFile, type RetryOptions } from './download';
import { ModelError, formatBytes, throwIfCancelled } from './errors';
import { checkDerivedModelFiles } from './derived';
import { hashFile } from './hash';
import { byPath, mergeManifest, readManifest, writeManifest, type InstallManifest, type InstalledFile } from './manifest';
import { planHubFolderFiles, hubFoldersOf } from './hub-folders';
import { checkTransport, DEFAULT_HUB_URL, hubFileUrl, listRepoFolder, probeSource } from './source';

export type PullProgress =
  | { phase: 'checking' }
  | {
      phase: 'downloading';
      file: string;
      fileIndex: number;
      files: number;
      bytes: number;
      totalBytes: number | null;
      bytesPerSecond: number;
    }
  | { phase: 'verifying'; file: string }
  | { phase: 'installing' }
  /** `warnings`: what the user should know about the install (files checked by size only). */
  | { phase: 'complete'; dir: string; warnings: string[] }
  | { phase: 'error'; message: string };

export interface PullOptions {
  dataDir: string;
  id: string;
  /** Default: the catalog entry's `defaultVariant`. */
  variant?: ModelVariant | string;
  /** Hub or mirror URL, or a `file:` URL / absolute path of a folder of downloaded repos. Default https://huggingface.co. */
  baseUrl?: string;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Free bytes on the models disk (a number, or a function of the models folder); default: statfs. */
  freeBytes?: number | ((dir: string) => number);
  /** Default: the bundled catalog. */
  catalog?: Catalog;
  /** Retry and stall settings for each file's download. */
  retry?: RetryOptions;
  /**
   * Allow an http mirror on another machine, and https→http redirects. Loopback http needs no
   * permission. Without a published sha256, such a download could be swapped unseen.
   */
  allowInsecure?: boolean;
}

export interface PullResult {
  id: string;
  dir: string;
  variant: ModelVariant;
  manifest: InstallManifest;
  /** Files fetched by this pull. */
  downloaded: string[];
  /** Files already installed and intact (re-hashed), not fetched again. */
  reused: string[];
  /** Optional files the source does not have. */
  skipped: string[];
  /** Sentences for the user, e.g. which files were checked by size only (no published sha256). */
  warnings: string[];
}

/** "a, b and c". */
function listing(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The warning for files whose download had no published sha256 to check: nothing but the size (or
 * nothing) stood between a damaged or swapped file and the install. Shared with `verify`.
 */
export function sizeOnlyWarning(name: string, files: string[]): string {
  return `size checked only: no published sha256 for ${listing(files)} (${name}), so a damaged or altered download of the right size would not have been noticed. Their sha256 as installed is recorded, so "models verify" notices any later change.`;
}

/** Room to spare beyond the download itself (file-system overhead, the manifest, other writers). */
const DISK_MARGIN = 0.1;

interface Planned {
  file: CatalogFile;
  url: string;
  bytes: number | null;
  sha256: string | null;
}

export function defaultFreeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Bytes of a file already in the partial folder, finished or as `.part`. */
function alreadyThere(dest: string): number {
  for (const path of [dest, `${dest}.part`]) {
    try {
      return statSync(path).size;
    } catch {
      // try the next
    }
  }
  return 0;
}

/** An installed file recorded by an earlier pull of the same repo and revision that still hashes right. */
async function intactInstalled(
  dir: string,
  previous: InstallManifest | undefined,
  entry: CatalogEntry,
  file: CatalogFile,
  signal?: AbortSignal,
): Promise<InstalledFile | undefined> {
  if (!previous || previous.repo !== entry.repo || previous.revision !== entry.revision) return undefined;
  const record = previous.files.find((f) => f.path === file.path);
  if (!record || (file.bytes !== null && file.bytes !== record.bytes) || (file.sha256 !== null && file.sha256 !== record.sha256))
    return undefined;
  const path = join(dir, file.path);
  if (!existsSync(path) || statSync(path).size !== record.bytes) return undefined;
  return (await hashFile(path, { signal })).sha256 === record.sha256 ? record : undefined;
}

/** Removes everything under `dir` but `keep` (relative paths): stale parts of an abandoned variant. */
function pruneExcept(dir: string, keep: Set<string>): Promise<unknown> {
  const stale = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !keep.has(relative(dir, p).split(sep).join('/')));
  return Promise.all(stale.map((p) => rm(p, { force: true })));
}

function checkDiskSpace(
  entry: CatalogEntry,
  variant: ModelVariant,
  root: string,
  partialDir: string,
  plan: Planned[],
  freeBytes: PullOptions['freeBytes'],
): void {
  const need = plan.reduce(
    (sum, p) => sum + (p.bytes === null ? 0 : Math.max(0, p.bytes - alreadyThere(join(partialDir, p.file.path)))),
    0,
  );
  const required = Math.ceil(need * (1 + DISK_MARGIN));
  const free = typeof freeBytes === 'function' ? freeBytes(root) : (freeBytes ?? defaultFreeBytes(root));
  if (required > free) {
    const smaller = variantsOf(entry).length > 1 ? ', or choose a smaller variant' : '';
    throw new ModelError(
      'disk-space',
      `Not enough free disk space for ${entry.name} (${variant}): it needs ${formatBytes(required)} (the download plus a 10 % margin) but only ${formatBytes(free)} is free in ${root}. Free some space${smaller}, then pull again.`,
    );
  }
}

async function pull(options: PullOptions, emit: (p: PullProgress) => void): Promise<PullResult> {
  const { signal } = options;
  const entry = findModel(options.id, options.catalog ?? loadCatalog());
  const variant = (options.variant ?? entry.defaultVariant) as ModelVariant;
  if (!variantsOf(entry).includes(variant)) throw unknownVariant(entry, variant);
  const baseUrl = options.baseUrl ?? DEFAULT_HUB_URL;
  const transport = { allowInsecure: options.allowInsecure };
  // Refuse an http mirror before anything else happens (every request and redirect is checked too).
  if (/^https?:/i.test(baseUrl)) checkTransport(hubFileUrl(baseUrl, entry.repo, entry.revision, 'config.json'), transport);
  const root = modelsDir(options.dataDir);
  await mkdir(root, { recursive: true });
  // A hubFolders repo installs each variant into a folder of its own (see hub-folders.ts).
  const finalDir = entry.hubFolders ? join(root, entry.id, variant) : join(root, entry.id);
  const partialDir = entry.hubFolders ? join(root, `${entry.id}.partial`, variant) : join(root, `${entry.id}.partial`);
  const previous = readManifest(finalDir);

  let wanted: (CatalogFile & { repoPath?: string })[];
  if (entry.hubFolders) {
    // The real file list, sizes and sha256 (lfs.oid) from the Hub's tree API; nothing is guessed.
    const folders = hubFoldersOf(entry, variant);
    const list = (folder: string) => listRepoFolder(baseUrl, entry.repo, entry.revision, folder, signal, transport);
    wanted = planHubFolderFiles(entry, variant, await list(folders.config), await list(folders.variant));
  } else {
    wanted = filesFor(entry, variant);
  }

  const reused: InstalledFile[] = [];
  const skipped: string[] = [];
  const plan: Planned[] = [];
  for (const file of wanted) {
    throwIfCancelled(signal);
    const kept = await intactInstalled(finalDir, previous, entry, file, signal);
    if (kept) reused.push(kept);
    else
      plan.push({
        file,
        url: hubFileUrl(baseUrl, entry.repo, entry.revision, file.repoPath ?? file.path),
        bytes: file.bytes,
        sha256: file.sha256,
      });
  }
  // Learn unknown sizes (HEAD) so the disk check covers the whole download, and 404s show up now.
  for (const p of [...plan]) {
    if (p.bytes !== null) continue;
    try {
      const info = await probeSource(p.url, signal, transport);
      p.bytes = info.totalBytes;
      p.sha256 ??= info.sha256;
    } catch (error) {
      if (!(p.file.optional && (error as ModelError).code === 'not-found')) throw error;
      skipped.push(p.file.path);
      plan.splice(plan.indexOf(p), 1);
    }
  }
  throwIfCancelled(signal);
  checkDiskSpace(entry, variant, root, partialDir, plan, options.freeBytes);

  const downloaded: InstalledFile[] = [];
  for (const [fileIndex, p] of plan.entries()) {
    try {
      const result = await downloadFile({
        ...options.retry,
        ...transport,
        url: p.url,
        dest: join(partialDir, p.file.path),
        expectedBytes: p.bytes,
        expectedSha256: p.sha256,
        signal,
        onProgress: (d) => emit({ phase: 'downloading', file: p.file.path, fileIndex, files: plan.length, ...d }),
        onVerifying: () => emit({ phase: 'verifying', file: p.file.path }),
      });
      downloaded.push({ path: p.file.path, bytes: result.bytes, sha256: result.sha256, verifiedBy: result.verifiedBy });
    } catch (error) {
      if (!(p.file.optional && (error as ModelError).code === 'not-found')) throw error;
      skipped.push(p.file.path);
    }
  }

  throwIfCancelled(signal);
  emit({ phase: 'installing' });
  const manifest = mergeManifest(previous, {
    format: 1,
    id: entry.id,
    repo: entry.repo,
    revision: entry.revision,
    variants: [variant],
    files: [...reused, ...downloaded].sort(byPath),
    installedAt: new Date().toISOString(),
  });
  if (!existsSync(finalDir)) {
    await mkdir(partialDir, { recursive: true });
    await pruneExcept(partialDir, new Set(downloaded.map((f) => f.path)));
    writeManifest(partialDir, manifest);
    await mkdir(dirname(finalDir), { recursive: true });
    await rename(partialDir, finalDir);
    // <id>.partial/ of a hubFolders model: gone once no other variant is half-downloaded in it.
    if (entry.hubFolders) await rmdir(dirname(partialDir)).catch(() => {});
  } else {
    // Another variant is installed: add the new files beside it, then record them.
    for (const f of downloaded) {
      await mkdir(dirname(join(finalDir, f.path)), { recursive: true });
      await rename(join(partialDir, f.path), join(finalDir, f.path));
    }
    writeManifest(finalDir, manifest);
    await rm(partialDir, { recursive: true, force: true });
    if (entry.hubFolders) await rmdir(dirname(partialDir)).catch(() => {});
  }
  // What the engine derived from an earlier copy of a decoder is checked too; a bad derived file is
  // removed, so the next load rebuilds it (a pull that finds every file intact would keep it).
  checkDerivedModelFiles(
    finalDir,
    manifest.files.map((f) => f.path),
  );
  const unhashed = downloaded.filter((f) => f.verifiedBy !== 'sha256').map((f) => f.path);
  const warnings = unhashed.length ? [sizeOnlyWarning(entry.name, unhashed)] : [];
  return {
    id: entry.id,
    dir: finalDir,
    variant,
    manifest,
    downloaded: downloaded.map((f) => f.path),
    reused: reused.map((f) => f.path),
    skipped,
    warnings,
  };
}

/**
 * Downloads and installs a catalog model; reports progress through `onProgress` and resolves with
 * what it did. On failure or cancel it reports `{ phase: 'error' }` and rejects (a cancel with an
 * error named 'AbortError'); the `<id>.partial/` folder is kept so the next pull resumes.
 */
export async function pullModel(options: PullOptions): Promise<PullResult> {
  const emit = (p: PullProgress) => options.onProgress?.(p);
  try {
    emit({ phase: 'checking' });
    const result = await pull(options, emit);
    emit({ phase: 'complete', dir: result.dir, warnings: result.warnings });
    return result;
  } catch (error) {
    emit({ phase: 'error', message: (error as Error).message });
    throw error;
  }
}

/** A folder name we may delete under the models folder: one path segment, nothing clever. */
function safeFolderName(id: string): boolean {
  return id.length > 0 && id !== '.' && id !== '..' && !/[\\/]/.test(id) && !id.includes('\0');
}

/** Deletes an installed model (and any unfinished download of it) to free its disk space. */
export async function removeModel(dataDir: string, id: string): Promise<{ removed: string[] }> {
  if (!safeFolderName(id)) throw new ModelError('not-installed', `"${id}" is not a model id.`);
  const root = modelsDir(dataDir);
  const removed = [join(root, id), join(root, `${id}.partial`)].filter((dir) => existsSync(dir));
  if (removed.length === 0) throw new ModelError('not-installed', `The model "${id}" is not installed.`);
  for (const dir of removed) await rm(dir, { recursive: true, force: true });
  return { removed };
}
