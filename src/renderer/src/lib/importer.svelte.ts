/**
 * Import in the studio: files dropped on the window or chosen with History's Import button become
 * `import` takes. In Electron the preload names the file's path (webUtils.getPathForFile) and the
 * main process reads it (`takes/import`); in browser mode the bytes are uploaded to `continuo
 * serve` (POST /import with the session token), with upload progress. One importer per studio,
 * so the window's drop zone and every History panel show the same progress.
 */
import type { Take } from '../../../shared/contract';
import { errorMessage } from './errors';
import type { Studio } from './studio.svelte';

export interface ImportItem {
  id: number;
  name: string;
  /** Bytes uploaded so far and in all (browser mode; Electron reads the file itself). */
  sent: number;
  total: number;
  phase: 'waiting' | 'uploading' | 'decoding' | 'done' | 'failed';
  error: string | null;
}

/** The extensions the file picker offers; anything else can still be dropped and is sniffed by its bytes. */
export const IMPORT_ACCEPT = 'audio/*,.wav,.wave,.flac,.mp3,.ogg,.oga,.opus,.aif,.aiff,.aifc,.m4a';

export class Importer {
  items = $state<ImportItem[]>([]);
  private nextId = 1;

  constructor(private readonly studio: Studio) {}

  /** Imports the files one after another; the last one imported is selected. */
  async importFiles(files: Iterable<File>): Promise<Take[]> {
    const queued = [...files].map((file) => ({ file, item: this.add(file) }));
    const done: Take[] = [];
    for (const { file, item } of queued) {
      const take = await this.importOne(file, item);
      if (take) done.push(take);
    }
    const last = done.at(-1);
    if (last) {
      this.studio.view = 'studio';
      void this.studio.selectTake(last.id);
    }
    return done;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((i) => i.id !== id);
  }

  private add(file: File): ImportItem {
    const item: ImportItem = { id: this.nextId++, name: file.name || 'audio', sent: 0, total: file.size, phase: 'waiting', error: null };
    this.items = [...this.items, item];
    return this.items.at(-1)!;
  }

  private async importOne(file: File, item: ImportItem): Promise<Take | null> {
    try {
      let take: Take;
      const files = window.continuoFiles;
      if (this.studio.mode === 'electron' && files) {
        const path = files.pathForFile(file);
        if (!path) throw new Error(`“${item.name}” is not a file on this computer (it came from another app). Save it to a file first.`);
        item.phase = 'decoding';
        take = await this.studio.client.call('takes/import', { path });
      } else {
        item.phase = 'uploading';
        take = await upload(file, (sent, total) => {
          item.sent = sent;
          item.total = total;
          if (sent >= total) item.phase = 'decoding';
        });
      }
      item.phase = 'done';
      this.studio.remember(take);
      this.studio.toast(`Imported “${item.name}”.`);
      // Finished imports leave the list after a moment; failures stay until dismissed.
      setTimeout(() => this.dismiss(item.id), 4000);
      return take;
    } catch (e) {
      item.phase = 'failed';
      item.error = errorMessage(e, `“${item.name}” could not be imported.`);
      return null;
    }
  }
}

const importers = new WeakMap<Studio, Importer>();

export function importerFor(studio: Studio): Importer {
  let importer = importers.get(studio);
  if (!importer) importers.set(studio, (importer = new Importer(studio)));
  return importer;
}

/** True when a drag carries files from outside (not a take dragged within the studio). */
export function draggingFiles(e: DragEvent): boolean {
  return Boolean(e.dataTransfer?.types.includes('Files'));
}

/** Browser mode: POST the bytes to `continuo serve`, which streams them to disk and imports them. */
function upload(file: File, progress: (sent: number, total: number) => void): Promise<Take> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/import?name=${encodeURIComponent(file.name || 'audio')}`);
    xhr.setRequestHeader('X-Continuo-Token', token);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => progress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* a plain-text refusal (403, 421) */
      }
      if (xhr.status === 200 && body) return resolve(body as Take);
      const message =
        (body as { message?: string } | null)?.message ?? (xhr.responseText.trim() || `The upload was refused (HTTP ${xhr.status}).`);
      reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error('The upload failed. Is “continuo serve” still running?'));
    xhr.send(file);
  });
}
