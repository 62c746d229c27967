/**
 * `continuo continue`: go on from existing music — a library take, audio codes or an audio file —
 * as jobs/continue through the services, from the take each source becomes (context-source.ts).
 */
import { Command } from 'commander';
import { Library } from '../../main/library';
import { CliError } from '../errors';
import { contextFromAudio, contextFromCodesFile, contextFromTake, type ContextTake } from '../context-source';
import { addGenerationOptions, type GenerationFlags } from '../generation-options';
import { jobFields, jobLabel, prepareRun, runAndKeep, type PlannedJob, type PreparedRun } from '../generation-run';
import { decimal } from '../parse';
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
  addGenerationOptions(command, DEFAULT_SECONDS).action(async (flags: ContinueFlags) => {
    const sources = [flags.take, flags.codes, flags.audio].filter(Boolean);
    if (sources.length !== 1) throw new CliError('Give exactly one of --take ID, --codes FILE.json or --audio FILE.', 2);
    const { dataDir } = globals();
    barsAtTakeTempo(flags, dataDir);
    // Everything about the context is checked (and audio read) before the model is loaded.
    const prepared = prepareRun(flags, dataDir, DEFAULT_SECONDS);
    try {
      const context = await contextTake(prepared, flags, dataDir);
      // Without --prompt the services continue with the source take's own prompt, as the studio does.
      const prompts = flags.prompt ?? [undefined];
      const jobs = prompts.map((prompt, p): PlannedJob<'jobs/continue'> => ({
        method: 'jobs/continue',
        params: { takeId: context.takeId, region: context.region, prompt, ...jobFields(prepared.request, p) },
        label: jobLabel('Continuing', p, prompts.length),
      }));
      await runAndKeep(prepared, jobs, { source: flags.take ?? flags.codes ?? flags.audio, region: { from: flags.from, to: flags.to } });
    } finally {
      await prepared.close();
    }
  });
  return command;
}

/** `--bars` continuing a library take without --tempo: the take's tempo and signature, as the studio uses them. */
function barsAtTakeTempo(flags: ContinueFlags, dataDir: string): void {
  if (!flags.take || flags.bars === undefined || flags.tempo !== undefined) return;
  const library = Library.open(dataDir);
  try {
    const music = library.getTake(library.resolveTakeId(flags.take)).music;
    flags.tempo = music?.tempoBpm ?? undefined;
    flags.signature ??= music?.timeSignature ?? undefined;
  } finally {
    library.close();
  }
}

/** The source checked against the region and the window, then handed to the services as a take. */
async function contextTake(prepared: PreparedRun, flags: ContinueFlags, dataDir: string): Promise<ContextTake> {
  const region = { from: flags.from, to: flags.to };
  const limit = { spec: prepared.choice.spec, frames: prepared.request.frames };
  const { services, save } = prepared.run;
  if (flags.codes || flags.audio) {
    const source = flags.codes
      ? contextFromCodesFile(userPath(flags.codes), region, limit)
      : await contextFromAudio(userPath(flags.audio!), region, limit);
    prepared.interrupt.throwIfRequested();
    return source.take(services);
  }
  // With --no-save the services' library is a temporary one: the take is read from the user's.
  const library = save ? services.library : Library.open(dataDir);
  try {
    const source = contextFromTake(library, flags.take!, region, limit);
    prepared.interrupt.throwIfRequested();
    return await source.take(services);
  } finally {
    if (library !== services.library) library.close();
  }
}
