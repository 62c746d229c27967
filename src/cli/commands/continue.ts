/** `continuo continue`: go on from existing music, given as audio codes or as audio. */
import { Command } from 'commander';
import { Library } from '../../main/library';
import { CliError } from '../errors';
import { contextFromAudio, contextFromCodesFile, contextFromTake, type ContextSource } from '../context-source';
import { addGenerationOptions, type GenerationFlags } from '../generation-options';
import { decimal } from '../parse';
import { loadEngine, prepareGeneration, runGeneration } from '../session';
import { userPath } from '../user-path';
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
  addGenerationOptions(command, DEFAULT_SECONDS).action(async (options: ContinueFlags) => {
    const sources = [options.take, options.codes, options.audio].filter(Boolean);
    if (sources.length !== 1) throw new CliError('Give exactly one of --take ID, --codes FILE.json or --audio FILE.', 2);
    const flags = { ...options, prompt: options.prompt ?? [''] };
    const { dataDir } = globals();
    const region = { from: flags.from, to: flags.to };
    // Everything about the context is checked (and audio decoded) before the model is loaded.
    const prepared = prepareGeneration(flags, dataDir, DEFAULT_SECONDS);
    try {
      const limit = { spec: prepared.spec, maxNewTokens: prepared.request.maxNewTokens };
      let source: ContextSource;
      if (flags.take) {
        const library = prepared.library ?? Library.open(dataDir);
        try {
          source = contextFromTake(library, flags.take, region, limit, prepared.model.id);
        } finally {
          if (library !== prepared.library) library.close();
        }
      } else if (flags.codes) {
        source = contextFromCodesFile(userPath(flags.codes), region, limit);
      } else {
        source = await contextFromAudio(userPath(flags.audio!), region, limit);
      }
      const loaded = await loadEngine(prepared, flags);
      try {
        const context = await source.codes(loaded.engine);
        if (context[0]?.length === 0) throw new CliError('The selected region is shorter than one codec frame (20 ms).', 2);
        await runGeneration(prepared, loaded, flags, {
          context,
          parent: source.parentId ? { id: source.parentId, region: source.region } : undefined,
          label: 'Continuing',
          extra: { source: flags.take ?? flags.codes ?? flags.audio, region },
        });
      } finally {
        await loaded.engine.dispose();
      }
    } finally {
      prepared.close();
    }
  });
  return command;
}
