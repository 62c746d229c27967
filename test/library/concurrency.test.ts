import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openLibrary, tempRoot } from './helpers';

const WRITER = fileURLToPath(new URL('./writer-process.ts', import.meta.url));
const COUNT = 300;

describe('concurrent access (WAL)', () => {
  it('a second connection reads consistent snapshots while another process writes', async () => {
    const root = tempRoot();
    const reader = openLibrary(root); // creates and migrates the database first
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, root, String(COUNT)], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let running = true;
    void exited.then(() => (running = false));

    const totals: number[] = [];
    let reads = 0;
    try {
      while (running) {
        const { takes, total } = reader.listTakes({ limit: 500 });
        // One snapshot: the rows and the total agree, and every row's file is complete on disk.
        expect(takes.length).toBe(total);
        for (const take of takes.slice(0, 20)) expect(existsSync(reader.audioPath(take.id))).toBe(true);
        if (takes[0]) expect(reader.readAudio(takes[0].id).channels[0]).toHaveLength(64);
        // The search index is written in the same transaction as the rows: a later read never
        // finds fewer matches than rows seen before (the writer may have added more in between).
        expect(reader.listTakes({ search: 'writer take', limit: 1 }).total).toBeGreaterThanOrEqual(total);
        const tagged = reader.listTakes({ tag: 'batch', limit: 500 });
        // Tags and title are set in one transaction: never one without the other.
        for (const take of tagged.takes) expect(take.title).toMatch(/^Take \d+$/);
        expect(reader.listTakes({ search: 'batch', limit: 1 }).total).toBeGreaterThanOrEqual(tagged.total);
        // The reader writes too; busy_timeout makes the two writers take turns.
        if (takes[0] && reads % 5 === 0) reader.updateTake(takes[0].id, { favourite: true });
        totals.push(total);
        reads++;
        await yieldToLoop();
      }
    } finally {
      // On a failed assertion, stop the writer before the temp folder is removed.
      if (running) child.kill();
      await exited;
    }
    const code = await exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('done');

    // Totals only grow, and reads saw the library mid-write.
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1]);
    expect(new Set(totals.filter((t) => t > 0 && t < COUNT)).size).toBeGreaterThan(1);
    expect(reader.listTakes({ limit: 1 }).total).toBe(COUNT);
    expect(reader.listTakes({ tag: 'batch', limit: 1 }).total).toBe(COUNT / 3);
    expect(reader.checkIntegrity({ graceMs: 0 })).toEqual({ orphanFiles: [], missingAudio: [], repaired: 0 });
  });
});
