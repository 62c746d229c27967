/**
 * Tags are a set of short labels. Normalizing on the way in (trimmed, inner spaces collapsed,
 * lowercased, deduplicated) means "Lo-Fi ", "lo-fi" and "LO-FI" are one tag in filters and counts.
 */
import { LibraryError } from './errors';

export const MAX_TAGS = 30;
export const MAX_TAG_LENGTH = 50;

export function normalizeTag(tag: string): string {
  return tag.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function normalizeTags(tags: readonly string[]): string[] {
  if (!Array.isArray(tags)) throw new LibraryError('invalid', 'Tags must be a list of words.');
  const set = new Set<string>();
  for (const raw of tags) {
    if (typeof raw !== 'string') throw new LibraryError('invalid', 'Each tag must be text.');
    const tag = normalizeTag(raw);
    if (!tag) continue;
    if (tag.length > MAX_TAG_LENGTH)
      throw new LibraryError('invalid', `The tag "${tag.slice(0, 20)}…" is too long: keep tags under ${MAX_TAG_LENGTH} characters.`);
    set.add(tag);
  }
  if (set.size > MAX_TAGS) throw new LibraryError('invalid', `A take can have at most ${MAX_TAGS} tags (got ${set.size}).`);
  return [...set].sort();
}
