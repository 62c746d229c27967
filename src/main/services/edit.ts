/**
 * Non-destructive edits: trim, fades and gain make a new take (kind "edit") whose parent is the
 * original, which stays untouched. The edit keeps the parent's codes for the kept frames, so the
 * result can still be continued with models that have no audio encoder.
 */
import type { z } from 'zod';
import { ApiError, type EditParamsSchema, type Take } from '../../shared/contract';
import { applyGain, fadeIn, fadeOut, trim } from '../audio';
import type { Library } from '../library';

type EditParams = z.output<typeof EditParamsSchema>;

export function editTake(library: Library, { takeId, ...edits }: EditParams): Take {
  const parent = library.getTake(takeId);
  if (!edits.trim && !edits.fadeIn && !edits.fadeOut && (edits.gainDb ?? 0) === 0) {
    throw new ApiError('invalid-params', 'Nothing to change: choose a trim, a fade or a gain first.');
  }
  let audio = library.readAudio(takeId);
  const start = Math.max(0, edits.trim?.start ?? 0);
  const end = Math.min(parent.durationSeconds, edits.trim?.end ?? parent.durationSeconds);
  if (end - start < 0.05) throw new ApiError('invalid-params', 'The trimmed take would be shorter than 50 ms.');
  if (edits.trim) audio = trim(audio, start, end);
  if (edits.fadeIn) audio = fadeIn(audio, Math.min(edits.fadeIn, end - start));
  if (edits.fadeOut) audio = fadeOut(audio, Math.min(edits.fadeOut, end - start));
  if (edits.gainDb) audio = applyGain(audio, edits.gainDb);

  const frameRate = parent.frames / parent.durationSeconds;
  const codes = library.getCodes(takeId)?.map((row) => row.slice(Math.floor(start * frameRate), Math.ceil(end * frameRate))) ?? null;
  return library.saveTake({
    kind: 'edit',
    prompt: parent.prompt,
    title: parent.title,
    modelId: parent.modelId,
    modelVariant: parent.modelVariant,
    device: parent.device,
    seed: parent.seed,
    settings: parent.settings,
    audio,
    codes,
    contextFrames: 0,
    parentId: parent.id,
    region: edits.trim ? { start, end } : null,
    edits: { ...edits, trim: edits.trim ? { start, end } : undefined },
    // Tempo and key hold for any edit; a song's sections and a loop's points only while the timing is the parent's.
    music: parent.music && (edits.trim ? { ...parent.music, song: null, loop: null } : parent.music),
  });
}
