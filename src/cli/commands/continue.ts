/** `continuo continue`: go on from existing music, given as audio codes or as audio. */
import { Command } from 'commander';
import { CliError } from '../errors';
import { codesFromAudio, codesFromFile, codesFromTake } from '../context-source';
import { addGenerationOptions, type GenerationFlags } from '../generation-options';
import { decimal } from '../parse';
import { loadModel, runGeneration } from '../session';
import type { GlobalFlags } from '../main';

const DEFAULT_SECONDS = 10;

interface ContinueFlags extends GenerationFlags {
  take?: string;
  codes?: string;
  audio?: string;
  from?: number;
  to?: number;
}

export function continueCommand(globals: () => GlobalFlags): Command {
  const command = new Command('continue')
    .description('continue music from a library take (--take), audio codes (--codes) or an audio file (--audio)')
    .option('--take <id>', 'a take in the library (see "continuo library list"); the result is linked to it')
    .option('--codes <file.json>', 'audio codes to continue, as "generate --json" prints them')
    .option('--audio <file>', 'audio to continue (WAV, FLAC, MP3, OGG); it is encoded first')
    .option('--from <s>', 'start of the region to continue from, in seconds', decimal(0, 36_000))
    .option('--to <s>', 'end of the region (default: the end)', decimal(0, 36_000));
  addGenerationOptions(command, DEFAULT_SECONDS).action(async (flags: ContinueFlags) => {
    const sources = [flags.take, flags.codes, flags.audio].filter(Boolean);
    if (sources.length !== 1) throw new CliError('Give exactly one of --take ID, --codes FILE.json or --audio FILE.', 2);
    const { dataDir } = globals();
    const loaded = await loadModel(flags, dataDir);
    try {
      const region = { from: flags.from, to: flags.to };
      let parent: { id: string; region: { start: number; end: number } } | undefined;
      let context;
      if (flags.take) {
        const found = await codesFromTake(dataDir, flags.take, region, loaded.engine, loaded.model.id);
        context = found.codes;
        parent = { id: flags.take, region: found.region };
      } else {
        context = flags.codes ? codesFromFile(flags.codes, region, loaded.engine) : await codesFromAudio(flags.audio!, region, loaded.engine);
      }
      if (context[0]?.length === 0) throw new CliError('The selected region is shorter than one codec frame (20 ms).', 2);
      await runGeneration({ ...loaded }, { ...flags, prompt: flags.prompt ?? [''] }, {
        defaultSeconds: DEFAULT_SECONDS,
        dataDir,
        context,
        parent,
        label: 'Continuing',
        extra: { source: flags.take ?? flags.codes ?? flags.audio, region },
      });
    } finally {
      await loaded.engine.dispose();
    }
  });
  return command;
}
