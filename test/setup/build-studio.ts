/**
 * Builds the studio's renderer once, before any test file runs, when it is missing or older than its
 * sources. Each end-to-end file also checks (for a single-file run), but several files starting at
 * once on a fresh clone would each build into the same folder while another's page loads from it.
 * Runs that name only other files (`vitest run test/audio`) skip it.
 */
import { ensureRendererBuilt } from '../../src/cli/commands/serve';
import { hasChromium } from '../e2e/helpers/studio-browser';

function runsEndToEnd(argv: string[]): boolean {
  const filters = argv.slice(argv.indexOf('run') + 1).filter((arg) => !arg.startsWith('-'));
  return filters.length === 0 || filters.some((filter) => filter.includes('e2e'));
}

export default function setup(): void {
  if (hasChromium && runsEndToEnd(process.argv)) ensureRendererBuilt();
}
