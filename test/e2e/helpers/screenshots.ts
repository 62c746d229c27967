/**
 * Where e2e screenshots go: a temp folder, so a test run leaves the checkout clean; with
 * CONTINUO_SCREENSHOTS=1 (`npm run screenshots`), the docs' own folder, to refresh them on purpose.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHOTS = process.env.CONTINUO_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'continuo-shots-'));
