import { getContext, setContext } from 'svelte';
import type { Studio } from './studio.svelte';

const KEY = Symbol('studio');

export function provideStudio(studio: Studio): void {
  setContext(KEY, studio);
}

export function useStudio(): Studio {
  const studio = getContext<Studio | undefined>(KEY);
  if (!studio) throw new Error('useStudio() outside the studio');
  return studio;
}
