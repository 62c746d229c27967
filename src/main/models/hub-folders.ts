/**
 * Repos that keep each variant in its own folder with un-suffixed names (gabotechs/music_gen:
 * `medium/` config and tokenizer, `medium_fp16/decoder_model.onnx`, …). At pull time the real
 * file lists come from the Hub's tree API; this module picks the files the engine will load and
 * says where each goes in the local layout:
 *
 *   <models>/<id>/<variant>/config.json, tokenizer.json, …       from <config folder>/
 *   <models>/<id>/<variant>/onnx/<session><suffix>.onnx           from <variant folder>/<session>.onnx
 *   <models>/<id>/<variant>/onnx/<x>.onnx_data                    unchanged: the .onnx names it inside
 *
 * The decoder is `decoder_model_merged.onnx` when the folder has it, else the optimum pair
 * `decoder_model.onnx` + `decoder_with_past_model.onnx`. Nothing else is downloaded
 * (build_delay_pattern_mask.onnx, the pair beside a merged file). A variant gets a folder of its
 * own because external-data files cannot be renamed and two variants may use the same name.
 */
import type { ModelVariant } from '../engine/model-files';
import { VARIANT_SUFFIX } from '../engine/model-files';
import type { CatalogEntry, CatalogFile } from './catalog';
import { unknownVariant } from './catalog';
import { ModelError } from './errors';
import type { RepoFileInfo } from './source';

export interface FolderFile extends CatalogFile {
  /** Where it is in the repo (`path` is where it goes in the model folder). */
  repoPath: string;
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** External data beside an ONNX file (`x.onnx_data`, `x.onnx_data_1`, `x.onnx.data`): same folder, name kept. */
function externalData(listing: RepoFileInfo[], onnxName: string): RepoFileInfo[] {
  return listing.filter((f) => base(f.path).startsWith(`${onnxName}_data`) || base(f.path).startsWith(`${onnxName}.data`));
}

/** The folders a variant of a hubFolders entry comes from. */
export function hubFoldersOf(entry: CatalogEntry, variant: ModelVariant): { config: string; variant: string } {
  const folder = entry.hubFolders?.variants[variant];
  if (!entry.hubFolders || !folder) throw unknownVariant(entry, variant);
  return { config: entry.hubFolders.config, variant: folder };
}

/**
 * The files to install for one variant, from the listings of its config folder and its variant
 * folder. Sizes and sha256 come from the listing (the catalog's, where it has them, win).
 * Throws naming the folder and the file when a required one is not there.
 */
export function planHubFolderFiles(
  entry: CatalogEntry,
  variant: ModelVariant,
  configListing: RepoFileInfo[],
  variantListing: RepoFileInfo[],
): FolderFile[] {
  const folders = hubFoldersOf(entry, variant);
  const find = (listing: RepoFileInfo[], name: string) => listing.find((f) => base(f.path) === name);
  const missing = (folder: string, name: string) =>
    new ModelError(
      'not-found',
      `${entry.repo} has no ${folder}/${name} (the Hub lists ${folder}/ without it), so ${entry.name} ${variant} cannot be installed from it.`,
    );
  const files: FolderFile[] = [];
  for (const wanted of entry.files) {
    const found = find(configListing, wanted.path);
    if (!found) {
      if (wanted.optional) continue;
      throw missing(folders.config, wanted.path);
    }
    files.push({ path: wanted.path, repoPath: found.path, bytes: wanted.bytes ?? found.bytes, sha256: wanted.sha256 ?? found.sha256 });
  }
  const suffix = VARIANT_SUFFIX[variant];
  const onnx = (name: string, optional = false) => {
    const found = find(variantListing, `${name}.onnx`);
    if (!found) {
      if (optional) return;
      throw missing(folders.variant, `${name}.onnx`);
    }
    files.push({ path: `onnx/${name}${suffix}.onnx`, repoPath: found.path, bytes: found.bytes, sha256: found.sha256 });
    for (const data of externalData(variantListing, `${name}.onnx`)) {
      files.push({ path: `onnx/${base(data.path)}`, repoPath: data.path, bytes: data.bytes, sha256: data.sha256 });
    }
  };
  onnx('text_encoder');
  if (find(variantListing, 'decoder_model_merged.onnx')) onnx('decoder_model_merged');
  else if (find(variantListing, 'decoder_model.onnx') && find(variantListing, 'decoder_with_past_model.onnx')) {
    onnx('decoder_model');
    onnx('decoder_with_past_model');
  } else {
    throw new ModelError(
      'not-found',
      `${entry.repo}/${folders.variant} has neither decoder_model_merged.onnx nor the pair decoder_model.onnx + decoder_with_past_model.onnx, so ${entry.name} ${variant} cannot be installed from it.`,
    );
  }
  onnx('encodec_decode');
  onnx('encodec_encoder', true);
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.path))
      throw new ModelError('catalog-invalid', `${entry.repo}/${folders.variant}: two files would be installed as ${f.path}.`);
    names.add(f.path);
  }
  return files;
}
