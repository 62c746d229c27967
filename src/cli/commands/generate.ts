/** `continuo generate`: new takes from a text prompt, as jobs/generate through the services. */
import { Command } from 'commander';
import { CliError } from '../errors';
import { addGenerationOptions, type GenerationFlags } from '../generation-options';
import { jobFields, jobLabel, prepareRun, runAndKeep, type PlannedJob } from '../generation-run';
import type { GlobalFlags } from '../main';

const DEFAULT_SECONDS = 10;

export function generateCommand(globals: () => GlobalFlags): Command {
  const command = new Command('generate').description('generate music from a text prompt');
  addGenerationOptions(command, DEFAULT_SECONDS).action(async (flags: GenerationFlags) => {
    if (!flags.prompt) {
      throw new CliError(
        'Missing --prompt: describe the music, e.g. --prompt "warm lo-fi piano with vinyl crackle, 80 bpm" (--prompt "" for none).',
        2,
      );
    }
    const prepared = prepareRun(flags, globals().dataDir, DEFAULT_SECONDS);
    try {
      const { prompts } = prepared.request;
      const jobs = prompts.map((prompt, p): PlannedJob<'jobs/generate'> => ({
        method: 'jobs/generate',
        params: { prompt, ...jobFields(prepared.request, p) },
        label: jobLabel('Generating', p, prompts.length),
      }));
      await runAndKeep(prepared, jobs);
    } finally {
      await prepared.close();
    }
  });
  return command;
}
