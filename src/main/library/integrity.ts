/**
 * Reconciles the database with the audio folder. Takes are saved file-first, so a crash between
 * the file write and the row insert leaves an audio file no row points to (an orphan), never a row
 * without a file. Orphans are moved to audio/orphans/ (not deleted: it is the musician's audio).
 * A take whose file went missing anyway (deleted by hand, a failed sync) is reported, so the
 * caller can re-decode it from its codes or tell the musician.
 */
import type { Db } from './connection';
import { audioExists, listAudioFiles, moveToOrphans } from './audio-store';

export interface IntegrityReport {
  /** Files under audio/ that no take points to (relative to the data folder). */
  orphanFiles: string[];
  /** Ids of takes whose audio file is missing. */
  missingAudio: string[];
  /** How many orphans were moved to audio/orphans/. */
  repaired: number;
}

export interface IntegrityOptions {
  repair?: boolean;
  /**
   * Files younger than this are left alone: another process (the CLI next to the studio) may be
   * between writing a take's file and inserting its row. Default one minute.
   */
  graceMs?: number;
  now?: number;
}

export function checkIntegrity(db: Db, root: string, options: IntegrityOptions = {}): IntegrityReport {
  const graceMs = options.graceMs ?? 60_000;
  const now = options.now ?? Date.now();
  const rows = db.prepare('SELECT id, audio_path FROM takes ORDER BY seq').all() as { id: string; audio_path: string }[];
  const referenced = new Set(rows.map((r) => r.audio_path));
  const files = listAudioFiles(root);
  const onDisk = new Set(files.map((f) => f.path));

  const orphanFiles = files
    .filter((f) => !referenced.has(f.path) && now - f.mtimeMs >= graceMs)
    .map((f) => f.path)
    .sort();
  // A listed file is present; only check the disk again for paths the listing did not see.
  const missingAudio = rows.filter((r) => !onDisk.has(r.audio_path) && !audioExists(root, r.audio_path)).map((r) => r.id);

  let repaired = 0;
  if (options.repair) {
    for (const path of orphanFiles) {
      moveToOrphans(root, path);
      repaired++;
    }
  }
  return { orphanFiles, missingAudio, repaired };
}
