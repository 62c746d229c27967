/** `continuo generate`: new takes from a text prompt. */
import { Command } from 'commander';
import { CliError } from '../errors';
import { addGenerationOptions, type GenerationFlags } from '../generation-options';
import { loadEngine, prepareGeneration, runGeneration } from '../session';
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
    const prepared = prepareGeneration(flags, globals().dataDir, DEFAULT_SECONDS);
    try {
      const loaded = await loadEngine(prepared, flags);
      try {
        await runGeneration(prepared, loaded, flags, { label: 'Generating' });
      } finally {
        await loaded.engine.dispose();
      }
    } finally {
      prepared.close();
    }
  });
  return command;
}
