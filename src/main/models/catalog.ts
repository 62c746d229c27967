/**
 * The catalog of MusicGen models Continuo can download (`models/catalog.json`), validated with zod
 * so a bad edit fails loudly at load time instead of half-way through a 2 GB download.
 *
 * A model lists its shared files (config, tokenizer) once and, per precision variant, only the
 * ONNX files that variant really has on the Hub. `filesFor` fills the gaps the way the engine
 * loads them (`resolveSessionFile`): a session missing in the chosen variant uses the fp32 file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MODEL_VARIANTS, onnxFile, type ModelVariant, type SessionName } from '../engine/model-files';
import bundledCatalog from '../../../models/catalog.json' with { type: 'json' };
import { ModelError } from './errors';

/** Relative, forward-slash paths inside a repo; never absolute or escaping the model folder. */
const repoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((s) => s === '' || s === '.' || s === '..'), {
    message: 'must be a relative path inside the repo',
  });

const sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
  .nullable();

export const CatalogFileSchema = z.object({
  path: repoPath,
  /** Exact size in bytes, or null when unknown (learned from the Hub's headers at download time). */
  bytes: z.number().int().nonnegative().nullable(),
  sha256,
  /** A file the engine can do without (e.g. the codec encoder): a 404 skips it instead of failing. */
  optional: z.boolean().optional(),
});

export const LicenceSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  url: z.url(),
  /** One sentence a musician understands. */
  summary: z.string().min(1),
});

const variantName = z.enum(MODEL_VARIANTS as [ModelVariant, ...ModelVariant[]]);

/** A folder name under `<dataDir>/models/`: no separators, and never mistaken for an unfinished download. */
export const modelId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-" only')
  .refine((id) => !id.includes('.partial'), { message: 'must not contain ".partial"' });

export const CatalogEntrySchema = z.object({
  id: modelId,
  name: z.string().min(1),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be "owner/name"'),
  revision: z.string().min(1),
  description: z.string().min(1),
  licence: LicenceSchema,
  channels: z.number().int().min(1).max(2),
  parameters: z.string().min(1),
  defaultVariant: variantName,
  files: z.array(CatalogFileSchema),
  /** Per variant, the ONNX files in the Hub export layout (`onnx/<session><suffix>.onnx`). Empty for a `hubFolders` repo. */
  variants: z.partialRecord(variantName, z.array(CatalogFileSchema).min(1)).default({}),
  /**
   * A repo that keeps each variant in a folder of its own with un-suffixed names (gabotechs/music_gen:
   * `medium/` holds config and tokenizer, `medium_fp16/` the ONNX files). Its real file list, sizes and
   * sha256 are read from the Hub's tree API at pull time (`hub-folders.ts`); each variant installs into
   * `<models>/<id>/<variant>/`, since two variants' external-data files may share a name.
   */
  hubFolders: z.object({ config: repoPath, variants: z.partialRecord(variantName, repoPath) }).optional(),
  /** Approximate download size per variant, for display before the real list is known (shown as "about"). */
  approxBytes: z.partialRecord(variantName, z.number().int().positive()).optional(),
  /** The decoder's size, for the memory estimate before the model's config.json is on disk. */
  architecture: z.object({ layers: z.number().int().positive(), hiddenSize: z.number().int().positive() }).optional(),
  /** Quality tier: larger models sound better; the recommendation prefers the highest tier that fits. */
  tier: z.number().int().min(1).max(9).optional(),
  variantNotes: z.partialRecord(variantName, z.string()).optional(),
});

export const CatalogSchema = z
  .object({
    format: z.literal(1),
    notes: z.string().optional(),
    models: z.array(CatalogEntrySchema),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.models.forEach((entry, i) => {
      if (seen.has(entry.id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate id "${entry.id}"` });
      seen.add(entry.id);
      const listed = Object.keys(entry.variants).length > 0;
      if (listed === (entry.hubFolders !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i],
          message: 'list either "variants" (files in the Hub export layout) or "hubFolders", not both or neither',
        });
        return;
      }
      if (!variantsOf(entry).includes(entry.defaultVariant)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'defaultVariant'],
          message: `"${entry.defaultVariant}" is not one of its variants`,
        });
      }
      if (entry.hubFolders) return;
      for (const variant of variantsOf(entry)) {
        const problem = variantProblem(entry, variant);
        if (problem) ctx.addIssue({ code: 'custom', path: ['models', i, 'variants', variant], message: problem });
      }
    });
  });

export type CatalogFile = z.output<typeof CatalogFileSchema>;
export type Licence = z.output<typeof LicenceSchema>;
export type CatalogEntry = z.output<typeof CatalogEntrySchema>;
export type Catalog = z.output<typeof CatalogSchema>;

/** The sessions a model folder can hold, in download order (the optional codec encoder last). */
const SESSIONS: SessionName[] = ['textEncoder', 'decoder', 'codecDecoder', 'codecEncoder'];

/** The variants an entry offers, in the engine's order (full precision first). */
export function variantsOf(entry: CatalogEntry): ModelVariant[] {
  const offered = entry.hubFolders?.variants ?? entry.variants;
  return MODEL_VARIANTS.filter((v) => offered[v] !== undefined);
}

/** External data beside an ONNX file (`x.onnx_data`, `x.onnx_data_1`, …) belongs to that file. */
function isExternalDataOf(path: string, onnxPath: string): boolean {
  return path.startsWith(`${onnxPath}_data`) || path.startsWith(`${onnxPath}.data`);
}

/** Where a session's file comes from for a variant: the variant itself, else fp32 (not for the decoder). */
function sessionSource(
  entry: CatalogEntry,
  session: SessionName,
  variant: ModelVariant,
): { variant: ModelVariant; file: CatalogFile } | undefined {
  const candidates: ModelVariant[] = session === 'decoder' || variant === 'fp32' ? [variant] : [variant, 'fp32'];
  for (const v of candidates) {
    const file = entry.variants[v]?.find((f) => f.path === onnxFile(session, v));
    if (file) return { variant: v, file };
  }
  return undefined;
}

function variantProblem(entry: CatalogEntry, variant: ModelVariant): string | undefined {
  const own = entry.variants[variant] ?? [];
  const sessionPaths = SESSIONS.map((s) => onnxFile(s, variant));
  const stray = own.find((f) => !sessionPaths.some((p) => f.path === p || isExternalDataOf(f.path, p)));
  if (stray) return `"${stray.path}" is not a ${variant} session file (${sessionPaths.join(', ')}) or its external data`;
  for (const session of ['textEncoder', 'decoder', 'codecDecoder'] as const) {
    const source = sessionSource(entry, session, variant);
    if (!source) return `no ${onnxFile(session, variant)}${session === 'decoder' ? '' : ' (nor an fp32 fallback)'}`;
    if (source.file.optional) return `${source.file.path} is required, it cannot be optional`;
  }
  return undefined;
}

/**
 * Every file to download for one variant: the shared JSON files, then each session's ONNX file
 * (the variant's own, or the fp32 one where the variant has none) with its external data.
 */
export function filesFor(entry: CatalogEntry, variant: ModelVariant): CatalogFile[] {
  if (entry.hubFolders)
    throw new ModelError(
      'catalog-invalid',
      `${entry.name}'s files are listed by the Hub at pull time (hub-folders.ts), not by the catalog.`,
    );
  if (!entry.variants[variant]) throw unknownVariant(entry, variant);
  const files: CatalogFile[] = [...entry.files];
  for (const session of SESSIONS) {
    const source = sessionSource(entry, session, variant);
    if (!source) continue;
    files.push(source.file);
    files.push(...entry.variants[source.variant]!.filter((f) => isExternalDataOf(f.path, source.file.path)));
  }
  return files;
}

/** The download size of a variant, or null while any of its files' sizes is unknown. */
export function variantBytes(entry: CatalogEntry, variant: ModelVariant): number | null {
  if (entry.hubFolders) return null;
  let total = 0;
  for (const file of filesFor(entry, variant)) {
    if (file.bytes === null) return null;
    total += file.bytes;
  }
  return total;
}

export function unknownVariant(entry: CatalogEntry, variant: string): ModelError {
  return new ModelError('unknown-variant', `${entry.name} has no "${variant}" variant. Available: ${variantsOf(entry).join(', ')}.`);
}

/** Validates catalog data; the error names the JSON path of each problem. */
export function parseCatalog(data: unknown, source = 'catalog'): Catalog {
  const parsed = CatalogSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelError('catalog-invalid', `The model catalog ${source} is invalid: ${problems}`);
  }
  return parsed.data;
}

let bundled: Catalog | undefined;

/**
 * The catalog: the one bundled into the app (imported, so it survives bundling and packaging), or
 * the JSON file at `path` (for a catalog edited outside the app, and for tests).
 */
export function loadCatalog(path?: string): Catalog {
  if (path === undefined) return (bundled ??= parseCatalog(bundledCatalog, 'models/catalog.json'));
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ModelError('catalog-invalid', `Could not read the model catalog ${path}: ${(error as Error).message}`, false, {
      cause: error,
    });
  }
  return parseCatalog(data, path);
}

/** The catalog entry for an id; the error lists the ids there are. */
export function findModel(id: string, catalog: Catalog = loadCatalog()): CatalogEntry {
  const entry = catalog.models.find((m) => m.id === id);
  if (!entry) {
    throw new ModelError(
      'unknown-model',
      `There is no model "${id}" in the catalog. Known models: ${catalog.models.map((m) => m.id).join(', ') || 'none'}.`,
    );
  }
  return entry;
}
