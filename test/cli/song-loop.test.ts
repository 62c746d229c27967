/**
 * `continuo song`, `continuo loop` and generate's musical time, run as a user would: through the
 * services, with --out written by the services' export (markers, loop points, tempo).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/main/audio';
import { decodeAcid, decodeSmpl, readWavChunks } from '../../src/main/audio/bext';
import { decodeCueMarkers } from '../../src/main/audio/cue-markers';
import { Library } from '../../src/main/library';
import { barToFrame, barToSample } from '../../src/shared/musical-time';
import { parseJson, runCli, startCli } from '../helpers/cli';
import { tempDir } from '../helpers/models';

describe('the CLI: songs, loops, musical time', () => {
  const scratch = tempDir();
  const data = join(scratch, 'data');
  const home = tempDir('continuo-home-');
  const cli = (args: string[]) => runCli(['--data-dir', data, ...args], { HOME: home, XDG_CONFIG_HOME: join(home, '.config') });
  const codec = { sampleRate: 32000, hopLength: 640 };

  it('song --plan: one take with its sections, the file with a marker per section and the tempo', async () => {
    const plan = join(scratch, 'plan.json');
    const example = await cli(['song', '--example']);
    expect(example.code).toBe(0);
    const written = { ...JSON.parse(example.stdout), sections: JSON.parse(example.stdout).sections.slice(0, 3) };
    written.sections[1].bars = 2;
    writeFileSync(plan, JSON.stringify(written));
    const out = join(scratch, 'song.wav');
    const result = await cli(['song', '--plan', plan, '--seed', '11', '--out', out, '--format', 'wav16', '--progress', '--json']);
    const json = parseJson(result);
    expect(result.stderr).toMatch(/section 1\/3/);
    expect(result.stderr).toMatch(/section 3\/3/);
    const take = json.takes[0];
    const time = { tempoBpm: 84, timeSignature: '4/4' as const };
    expect(take.music.song.sections.map((s: { name: string; startFrame: number }) => [s.name, s.startFrame])).toEqual([
      ['Intro', 0],
      ['Verse', barToFrame(4, time, codec)],
      ['Chorus', barToFrame(6, time, codec)],
    ]);
    expect(take.samples).toBe(barToFrame(14, time, codec) * 640);
    expect(take.seed).toBe(11);
    const bytes = readFileSync(out);
    expect(decodeWav(bytes).channels[0]).toHaveLength(take.samples);
    const chunks = readWavChunks(bytes);
    expect(decodeCueMarkers(chunks.get('cue ')!, chunks.get('LIST')).map((m) => m.label)).toEqual(['Intro', 'Verse', 'Chorus']);
    expect(decodeAcid(chunks.get('acid')!).tempoBpm).toBe(84);
    // The same take is in the library, as the studio would show it.
    const library = Library.open(data);
    try {
      expect(library.getTake(take.takeId).music!.song!.sections).toHaveLength(3);
    } finally {
      library.close();
    }
  });

  it('song: Ctrl-C during the second section keeps the first as a take and says where', async () => {
    const plan = join(scratch, 'cancel.json');
    writeFileSync(
      plan,
      JSON.stringify({ title: 'Stopped', tempoBpm: 120, sections: [1, 2, 3].map((n) => ({ name: `Part ${n}`, bars: 16 })) }),
    );
    const out = join(scratch, 'stopped.wav');
    const { child, done } = startCli(['--data-dir', data, 'song', '--plan', plan, '--out', out, '--progress'], {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
    });
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => {
      if (!sent && d.toString().includes('section 2/3')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const result = await done;
    expect(result.code).toBe(130);
    const id = /as "Stopped \(1 of 3 sections\)" \(take ([0-9a-f]{8})\); nothing was written to --out/.exec(result.stderr)?.[1];
    expect(id, result.stderr).toBeDefined();
    expect(existsSync(out)).toBe(false);
    const library = Library.open(data);
    try {
      expect(library.getTake(library.resolveTakeId(id!)).music!.song!.sections.map((s) => s.name)).toEqual(['Part 1']);
    } finally {
      library.close();
    }
  });

  it('song: a plan that is not one is refused before anything loads, naming the file and the field', async () => {
    const bad = join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tempoBpm: 120, key: 'H major', sections: [{ name: 'A', bars: 4 }] }));
    const result = await cli(['song', '--plan', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/The plan .*bad\.json is not valid \(key\): "H major" is not a key/);
    writeFileSync(bad, '{ "tempoBpm": 120, ');
    expect((await cli(['song', '--plan', bad])).stderr).toMatch(/is not JSON .*continuo song --example/);
    expect((await cli(['song'])).stderr).toMatch(/Missing --plan/);
  });

  it('loop: exactly N bars at the export rate, with smpl loop points and acid tempo', async () => {
    const out = join(scratch, 'loop.wav');
    const json = parseJson(
      await cli([
        'loop',
        '--prompt',
        'dusty drums',
        '--tempo',
        '93',
        '--bars',
        '2',
        '--signature',
        '3/4',
        '--rate',
        '44100',
        '--out',
        out,
        '--json',
      ]),
    );
    const time = { tempoBpm: 93, timeSignature: '3/4' as const };
    expect(json.takes[0].samples).toBe(barToSample(2, time, 32000));
    const bytes = readFileSync(out);
    const frames = decodeWav(bytes).channels[0].length;
    expect(frames).toBe(barToSample(2, time, 44100));
    const chunks = readWavChunks(bytes);
    expect(decodeSmpl(chunks.get('smpl')!).loops).toEqual([{ start: 0, end: frames, type: 0 }]);
    expect(decodeAcid(chunks.get('acid')!).meter).toEqual([3, 4]);
    expect((await cli(['loop', '--prompt', 'x', '--out', out])).stderr).toMatch(/Missing --tempo/);
  });

  it('generate --tempo --key --bars: exact length on the bar grid; tempo and key on the take beside what was measured', async () => {
    const json = parseJson(
      await cli([
        'generate',
        '--prompt',
        'warm pads, 70 bpm',
        '--tempo',
        '90',
        '--key',
        'f#m',
        '--bars',
        '3',
        '--out',
        join(scratch, 'g.wav'),
        '--json',
      ]),
    );
    expect(json.frames).toBe(barToFrame(3, { tempoBpm: 90, timeSignature: '4/4' }, codec));
    expect(json.prompt).toBe('warm pads, 70 bpm');
    expect(json.music).toMatchObject({ tempoBpm: 90, key: 'F# minor', timeSignature: '4/4' });
    expect(json.music.estimated).toHaveProperty('tempoBpm');
    // --out carries the tempo for a DAW, as the studio's export does.
    expect(decodeAcid(readWavChunks(readFileSync(join(scratch, 'g.wav'))).get('acid')!)).toMatchObject({ tempoBpm: 90, meter: [4, 4] });
    // Continuing that take by bars uses its tempo.
    const next = parseJson(
      await cli(['continue', '--take', json.takeId.slice(0, 8), '--bars', '2', '--out', join(scratch, 'c.wav'), '--json']),
    );
    expect(next.frames - next.contextFrames).toBe(barToFrame(2, { tempoBpm: 90, timeSignature: '4/4' }, codec));
    expect(next.music).toMatchObject({ tempoBpm: 90, key: 'F# minor' });
    // The human report names the take as the library lists it: its first 8 characters.
    expect((await cli(['generate', '--prompt', 'x', '--seconds', '1', '--out', join(scratch, 'i.wav')])).stdout).toMatch(
      /saved as take [0-9a-f]{8}\n/,
    );
    const refused = await cli(['generate', '--prompt', 'x', '--bars', '3', '--out', join(scratch, 'h.wav')]);
    expect(refused.stderr).toMatch(/--bars needs a tempo/);
    expect((await cli(['generate', '--prompt', 'x', '--key', 'H', '--out', join(scratch, 'h.wav')])).stderr).toMatch(/expected a key/);
  });
});
