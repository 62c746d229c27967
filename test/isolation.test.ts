/** The suite runs with the user's data out of reach (see test/setup/isolate-user-data.ts). */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../src/main/paths';
import { tempDir } from './helpers/models';
import { diffSnapshots, snapshotFolder } from './setup/folder-snapshot';
import { ISOLATION_VARS } from './setup/isolate-user-data';

describe('test isolation', () => {
  it('points HOME, the XDG folders and the data folder into a temp dir', () => {
    const real = process.env.CONTINUO_REAL_DATA_DIR!;
    expect(real).toBeTruthy();
    for (const name of ISOLATION_VARS) expect(process.env[name], name).toMatch(new RegExp(`^${tmpdir()}/continuo-test-home-`));
    expect(homedir()).toBe(process.env.HOME);
    expect(defaultDataDir()).toBe(process.env.CONTINUO_DATA_DIR);
    expect(defaultDataDir()).not.toBe(real);
    // Without CONTINUO_DATA_DIR the app's own default also lands in the temp home.
    expect(defaultDataDir({ ...process.env, CONTINUO_DATA_DIR: undefined })).toBe(join(process.env.XDG_CONFIG_HOME!, 'Continuo'));
  });

  it('hands the same isolation to child processes', () => {
    const seen = execFileSync(
      process.execPath,
      ['-e', 'console.log(JSON.stringify([require("os").homedir(), process.env.CONTINUO_DATA_DIR]))'],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(seen)).toEqual([process.env.HOME, process.env.CONTINUO_DATA_DIR]);
  });

  it('notices any change to a watched folder', () => {
    const dir = tempDir('continuo-snapshot-');
    mkdirSync(join(dir, 'audio'));
    writeFileSync(join(dir, 'library.sqlite'), 'rows');
    const before = snapshotFolder(dir);
    expect(diffSnapshots(before, snapshotFolder(dir))).toEqual([]);
    appendFileSync(join(dir, 'library.sqlite'), '+');
    writeFileSync(join(dir, 'audio', 'take.wav'), '');
    expect(diffSnapshots(before, snapshotFolder(dir))).toEqual(['changed library.sqlite', 'added audio/take.wav']);
    expect(diffSnapshots(snapshotFolder(join(dir, 'missing')), snapshotFolder(dir)).length).toBe(4);
  });
});
