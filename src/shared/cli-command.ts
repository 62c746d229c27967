/**
 * Commands we suggest must be ones a person can paste. Continuo runs from a checkout (there is no
 * installed `continuo` binary), so the form that works is the npm script the README uses. Messages
 * from the model manager and the CLI build their commands here.
 */
export const CLI_PREFIX = 'npm run -s continuo --';

/** e.g. `npm run -s continuo -- models pull musicgen-small --yes`. */
export function cliCommand(args: string): string {
  return `${CLI_PREFIX} ${args}`;
}

/** The command that downloads a model, with --yes (pull asks to accept the licence otherwise). */
export function pullCommand(id: string, variant?: string): string {
  return cliCommand(`models pull ${id}${variant ? ` --variant ${variant}` : ''} --yes`);
}
