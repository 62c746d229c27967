/**
 * `continuo-install.json`, written into a model folder when an install completes: which repo and
 * revision it came from, which variants, and every file with the size and sha256 it was verified
 * against. It is what `verifyModel` re-checks, and what lets a later pull skip intact files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MODEL_VARIANTS, type ModelVariant } from '../engine/model-files';
import { writeFileAtomic } from '../atomic-file';

export const MANIFEST_NAME = 'continuo-install.json';

export const InstalledFileSchema = z.object({
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  /** The hash of the bytes installed (computed here, whether or not one was published). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * What the download was checked against: a published sha256 (the catalog's, or the Hub's
   * x-linked-etag), only the expected size, or nothing. Absent in records written before this
   * was kept, which are treated as not hash-verified.
   */
  verifiedBy: z.enum(['sha256', 'size', 'none']).optional(),
});

export const InstallManifestSchema = z.object({
  format: z.literal(1),
  id: z.string(),
  repo: z.string(),
  revision: z.string(),
  variants: z.array(z.enum(MODEL_VARIANTS as [ModelVariant, ...ModelVariant[]])),
  files: z.array(InstalledFileSchema),
  installedAt: z.string(),
});

export type InstalledFile = z.output<typeof InstalledFileSchema>;
export type InstallManifest = z.output<typeof InstallManifestSchema>;

/** Files whose download was not checked against a published sha256 (size only, or nothing). */
export function unhashedFiles(manifest: InstallManifest): InstalledFile[] {
  return manifest.files.filter((f) => f.verifiedBy !== 'sha256');
}

/** The manifest of a model folder, or undefined when there is none (or it is unreadable). */
export function readManifest(dir: string): InstallManifest | undefined {
  const path = join(dir, MANIFEST_NAME);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = InstallManifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeManifest(dir: string, manifest: InstallManifest): void {
  writeFileAtomic(join(dir, MANIFEST_NAME), new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
}

/**
 * Adds a newly installed variant to an existing record. Files keep their latest verified entry;
 * a record from another repo or revision is dropped, since its files no longer describe the folder
 * consistently.
 */
/** Code-unit order, so the record reads the same on every machine and locale. */
export const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function mergeManifest(previous: InstallManifest | undefined, next: InstallManifest): InstallManifest {
  if (!previous || previous.repo !== next.repo || previous.revision !== next.revision) return next;
  const files = new Map(previous.files.map((f) => [f.path, f]));
  for (const f of next.files) files.set(f.path, f);
  const variants = MODEL_VARIANTS.filter((v) => previous.variants.includes(v) || next.variants.includes(v));
  return { ...next, variants, files: [...files.values()].sort(byPath) };
}
