/** The README's two commands are the contract with a new user; CI must run the same test command. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    expect(ci).toEqual([command]);
  });
});

describe('first run', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('states the Node and npm versions that package.json requires', () => {
    const node = /\*\*Node\.js (\d+\.\d+)\+ or (\d+\.\d+)\+\*\*/.exec(readme);
    const npm = /\*\*npm (\d+\.\d+)\+\*\*/.exec(readme);
    expect(node, 'README names the Node versions').not.toBeNull();
    expect(npm, 'README names the npm version').not.toBeNull();
    // Each version the README names is the floor of one range in engines.node.
    const ranges = (pkg.engines.node as string).split('||').map((r) => r.trim());
    for (const version of [node![1], node![2]]) expect(ranges, version).toContain(`^${version}.0`);
    expect(pkg.engines.npm).toBe(`>=${npm![1]}.0`);
  });

  it('stops onnxruntime-node fetching CUDA at install through allowScripts, not an .npmrc key npm warns about', () => {
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    const npmrc = join(ROOT, '.npmrc');
    if (existsSync(npmrc)) expect(readFileSync(npmrc, 'utf8')).not.toMatch(/^\s*onnxruntime-node-install/m);
  });

  it('runs the CLI through npm without an npm warning', () => {
    const home = mkdtempSync(join(tmpdir(), 'continuo-npm-home-'));
    try {
      // npm's warnings go to stderr; without -s, so nothing is silenced.
      const result = spawnSync('npm', ['run', 'continuo', '--', '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') },
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: continuo');
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/npm warn/i);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
