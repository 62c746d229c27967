import { describe, expect, it } from 'vitest';
import { LibraryError } from '../../src/main/library';
import { newTake, openLibrary, steppingClock, testAudio } from './helpers';

function setup() {
  const library = openLibrary(undefined, { now: steppingClock() });
  // 10 s of mono audio at 1 kHz.
  const take = library.saveTake(newTake({ audio: testAudio(10_000, 1000, 1), codes: null }));
  return { library, take };
}

const invalid = expect.objectContaining({ code: 'invalid' });
const notFound = expect.objectContaining({ code: 'not-found' });

describe('projects', () => {
  it('creates, lists, renames and deletes projects', () => {
    const { library } = setup();
    const a = library.createProject('  First  song ');
    expect(a).toMatchObject({ name: 'First song', tracks: [] });
    expect(a.createdAt).toBe(a.updatedAt);
    const b = library.createProject('Second');
    expect(library.listProjects().map((p) => p.name)).toEqual(['Second', 'First song']);

    const renamed = library.renameProject(a.id, 'Renamed');
    expect(renamed.name).toBe('Renamed');
    expect(renamed.updatedAt > a.updatedAt).toBe(true);
    expect(library.listProjects().map((p) => p.name)).toEqual(['Renamed', 'Second']);
    expect(library.listProjects()[0]).not.toHaveProperty('tracks');

    // Tempo: none until set; 20 to 400 BPM; listed with the project; null clears it.
    expect(renamed.tempoBpm).toBeNull();
    expect(renamed).toMatchObject({ key: null, timeSignature: '4/4' });
    expect(library.setProjectMusic(a.id, { tempoBpm: 92.5 }).tempoBpm).toBe(92.5);
    expect(library.listProjects()[0].tempoBpm).toBe(92.5);
    expect(() => library.setProjectMusic(a.id, { tempoBpm: 401 })).toThrow(invalid);
    expect(() => library.setProjectMusic(a.id, { tempoBpm: Number.NaN })).toThrow(invalid);
    // Key as typed, stored in one spelling; the signature kept when not given; a key that is none refused.
    expect(library.setProjectMusic(a.id, { tempoBpm: 92.5, key: 'a#m', timeSignature: '6/8' })).toMatchObject({
      key: 'Bb minor',
      timeSignature: '6/8',
    });
    expect(library.setProjectMusic(a.id, { tempoBpm: 100 })).toMatchObject({ tempoBpm: 100, key: 'Bb minor', timeSignature: '6/8' });
    expect(() => library.setProjectMusic(a.id, { tempoBpm: 100, key: 'H major' })).toThrow(invalid);
    expect(library.setProjectMusic(a.id, { tempoBpm: null, key: null }).tempoBpm).toBeNull();

    library.deleteProject(b.id);
    expect(() => library.getProject(b.id)).toThrow(notFound);
    expect(() => library.deleteProject(b.id)).toThrow(notFound);
    expect(() => library.createProject('   ')).toThrow(invalid);
    expect(() => library.createProject('x'.repeat(201))).toThrow(invalid);
    expect(() => library.renameProject('missing', 'x')).toThrow(notFound);
  });

  it('adds tracks with default names and positions, updates and removes them', () => {
    const { library } = setup();
    const project = library.createProject('Song');
    library.addTrack(project.id);
    library.addTrack(project.id, 'Bass');
    const three = library.addTrack(project.id);
    expect(three.tracks.map((t) => [t.name, t.position])).toEqual([
      ['Track 1', 0],
      ['Bass', 1],
      ['Track 3', 2],
    ]);
    const [first, bass] = three.tracks;
    expect(first).toMatchObject({ gainDb: 0, muted: false, clips: [] });

    const updated = library.updateTrack(bass.id, { gainDb: -6, muted: true, name: 'Low end' });
    expect(updated.tracks[1]).toMatchObject({ name: 'Low end', gainDb: -6, muted: true });
    expect(library.updateTrack(bass.id, { muted: false }).tracks[1]).toMatchObject({ name: 'Low end', gainDb: -6, muted: false });
    expect(() => library.updateTrack(bass.id, { gainDb: 30 })).toThrow(invalid);
    expect(() => library.updateTrack(bass.id, { name: '' })).toThrow(invalid);
    expect(() => library.updateTrack('missing', {})).toThrow(notFound);

    const removed = library.removeTrack(first.id);
    expect(removed.tracks.map((t) => [t.name, t.position])).toEqual([
      ['Low end', 0],
      ['Track 3', 1],
    ]);
    // The next default name does not clash with an existing one.
    expect(library.addTrack(project.id).tracks.map((t) => t.name)).toEqual(['Low end', 'Track 3', 'Track 4']);
    expect(() => library.addTrack('missing')).toThrow(notFound);
  });

  it('places clips, defaulting the length to the rest of the take, and validates that they fit', () => {
    const { library, take } = setup();
    const project = library.createProject('Song');
    const trackId = library.addTrack(project.id).tracks[0].id;

    const withClip = library.addClip(trackId, { takeId: take.id, startSeconds: 4, offsetSeconds: 2.5 });
    const clip = withClip.tracks[0].clips[0];
    expect(clip).toMatchObject({
      trackId,
      takeId: take.id,
      startSeconds: 4,
      offsetSeconds: 2.5,
      durationSeconds: 7.5,
      gainDb: 0,
      fadeInSeconds: 0,
      fadeOutSeconds: 0,
    });
    library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 0, durationSeconds: 10 });
    expect(library.getProject(project.id).tracks[0].clips.map((c) => c.startSeconds)).toEqual([0, 4]);

    const tooLong = () => library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 6, durationSeconds: 5 });
    expect(tooLong).toThrow(LibraryError);
    expect(tooLong).toThrow(
      'The clip is 5 s long but only 4 s of the take remain after its 6 s offset. Shorten the clip or reduce the offset.',
    );
    expect(() => library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 10 })).toThrow(invalid);
    expect(() => library.addClip(trackId, { takeId: take.id, startSeconds: -1, offsetSeconds: 0 })).toThrow(invalid);
    expect(() => library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 0, durationSeconds: 0 })).toThrow(invalid);
    expect(() => library.addClip(trackId, { takeId: take.id, startSeconds: Number.NaN, offsetSeconds: 0 })).toThrow(invalid);
    expect(() => library.addClip(trackId, { takeId: 'missing', startSeconds: 0, offsetSeconds: 0 })).toThrow(notFound);
    expect(() => library.addClip('missing', { takeId: take.id, startSeconds: 0, offsetSeconds: 0 })).toThrow(notFound);

    library.trashTake(take.id);
    expect(() => library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 0 })).toThrow(/restore it/);
  });

  it('updates and removes clips, keeping fades inside the clip', () => {
    const { library, take } = setup();
    const project = library.createProject('Song');
    const trackId = library.addTrack(project.id).tracks[0].id;
    const clipId = library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 0 }).tracks[0].clips[0].id;

    const faded = library.updateClip(clipId, { fadeInSeconds: 1, fadeOutSeconds: 2, gainDb: -3, startSeconds: 8 }).tracks[0].clips[0];
    expect(faded).toMatchObject({ fadeInSeconds: 1, fadeOutSeconds: 2, gainDb: -3, startSeconds: 8, durationSeconds: 10 });

    // Shortening the clip shortens fades it was not told about.
    const short = library.updateClip(clipId, { durationSeconds: 2.5 }).tracks[0].clips[0];
    expect(short).toMatchObject({ durationSeconds: 2.5, fadeInSeconds: 1, fadeOutSeconds: 1.5 });
    // Fades named explicitly must fit.
    expect(() => library.updateClip(clipId, { fadeInSeconds: 2, fadeOutSeconds: 1 })).toThrow(/longer than the 2.5 s clip/);
    expect(() => library.updateClip(clipId, { offsetSeconds: 9 })).toThrow(invalid);
    expect(() => library.updateClip(clipId, { gainDb: -61 })).toThrow(invalid);
    expect(() => library.updateClip('missing', { gainDb: 0 })).toThrow(notFound);
    // A failed update changes nothing.
    expect(library.getProject(project.id).tracks[0].clips[0]).toMatchObject({ durationSeconds: 2.5, offsetSeconds: 0, gainDb: -3 });

    expect(library.removeClip(clipId).tracks[0].clips).toEqual([]);
    expect(() => library.removeClip(clipId)).toThrow(notFound);
  });

  it('removes clips of takes deleted for good, and cascades project deletion', () => {
    const { library, take } = setup();
    const project = library.createProject('Song');
    const trackId = library.addTrack(project.id).tracks[0].id;
    const clipId = library.addClip(trackId, { takeId: take.id, startSeconds: 0, offsetSeconds: 0 }).tracks[0].clips[0].id;
    library.trashTake(take.id);
    expect(library.getProject(project.id).tracks[0].clips).toHaveLength(1);
    library.emptyTrash();
    expect(library.getProject(project.id).tracks[0].clips).toEqual([]);
    library.deleteProject(project.id);
    expect(() => library.updateTrack(trackId, { muted: true })).toThrow(notFound);
    expect(() => library.removeClip(clipId)).toThrow(notFound);
  });
});
