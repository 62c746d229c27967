/**
 * Turns what the musician typed into a safe FTS5 query. FTS5 has its own syntax (quotes, `*`,
 * `-`, parentheses, AND/OR/NOT/NEAR, column filters with `:`), and typing any of it must never
 * raise a syntax error. So the text is cut into words the way the unicode61 tokenizer cuts it
 * (letters, digits and marks; everything else separates), and each word becomes a quoted prefix
 * term: "lo pia" → `"lo"* "pia"*`, which matches "warm lo-fi piano". Terms are ANDed.
 */
const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
/** Enough words for any real search; bounds the work a pasted paragraph can cause. */
const MAX_TERMS = 16;

export function searchTerms(search: string): string[] {
  return (search.normalize('NFC').match(WORD) ?? []).slice(0, MAX_TERMS);
}

/**
 * The text to find literally when the search has no word for the index to match: an emoji, a "-",
 * a quote. Blank text is no search at all (null). Searching for "🎹" should find the takes whose
 * prompt, title or tags contain it, not every take.
 */
export function literalSearch(search: string | undefined | null): string | null {
  if (!search || toFtsQuery(search) !== null) return null;
  const text = search.normalize('NFC').trim();
  return text === '' ? null : text;
}

/** The MATCH expression, or null when the text has no words (see literalSearch for that case). */
export function toFtsQuery(search: string | undefined | null): string | null {
  if (!search) return null;
  const terms = searchTerms(search);
  if (terms.length === 0) return null;
  // Words never contain a double quote (it is a separator), so quoting needs no escaping.
  return terms.map((term) => `"${term}"*`).join(' ');
}
