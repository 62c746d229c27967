/** The README's two commands are the contract with a new user; CI must run the same test command. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function commandAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const match = /```sh\n([^\n]+)\n```/.exec(section);
  if (!match) throw new Error(`no command block after "${heading}"`);
  return match[1];
}

describe('README', () => {
  it('has a set-up command that installs and generates music', () => {
    const command = commandAfter('## Set up and make music');
    expect(command).toMatch(/^npm ci && npm run -s continuo -- generate --prompt ".+" .*--out \S+\.wav$/);
  });

  it('has a test command that .ci/run runs verbatim', () => {
    const command = commandAfter('## Run the tests');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    expect(ci).toEqual([command]);
  });
});
