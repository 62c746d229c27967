/**
 * Paths the user typed (--out, --audio, --codes, --data-dir, …) are relative to the folder they
 * typed the command in. `npm run continuo` runs the CLI in the package root instead and records
 * that folder in INIT_CWD; every command resolves user paths through here so both agree.
 */
import { dirname, isAbsolute, resolve } from 'node:path';

/** The folder the user typed the command in. */
export function userCwd(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const typedIn = env.INIT_CWD;
  // Trust INIT_CWD only while we still run where npm put us (the package root): a stale
  // INIT_CWD inherited by a process started elsewhere must not move the user's files.
  const underNpm = env.npm_package_json !== undefined && resolve(dirname(env.npm_package_json)) === resolve(cwd);
  return typedIn && isAbsolute(typedIn) && underNpm ? typedIn : cwd;
}

/** An absolute path for a path the user typed; absolute paths come back unchanged. */
export function userPath(path: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return resolve(userCwd(env, cwd), path);
}
