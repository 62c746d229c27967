/**
 * `continuo song --plan plan.json`: a song from a plan of sections (jobs/song), the same job the
 * studio's song mode runs. The plan is the studio's: title, prompt, tempoBpm, key, timeSignature,
 * and sections of {name, prompt, bars}; --seed and --section-takes override it.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { MAX_SEED, parseParams, type ParamsOf } from '../../shared/contract';
import { CliError } from '../errors';
import { addModelOptions } from '../generation-options';
import { addOutputOptions, runMusicJob, type MusicJobFlags } from '../music-jobs';
import { integer } from '../parse';
import { userPath } from '../user-path';
import type { GlobalFlags } from '../main';

interface SongFlags extends MusicJobFlags {
  plan?: string;
  seed?: number;
  sectionTakes?: boolean;
}

export const PLAN_EXAMPLE = {
  title: 'Rainy window',
  prompt: 'warm lo-fi hip hop, dusty drums, rhodes',
  tempoBpm: 84,
  key: 'A minor',
  timeSignature: '4/4',
  sections: [
    { name: 'Intro', prompt: 'sparse, just rhodes and vinyl crackle', bars: 4 },
    { name: 'Verse', prompt: 'drums and bass come in', bars: 8 },
    { name: 'Chorus', prompt: 'fuller, a warm lead melody', bars: 8 },
    { name: 'Outro', prompt: 'fading out, rhodes alone', bars: 4 },
  ],
};

export function songCommand(globals: () => GlobalFlags): Command {
  const command = new Command('song')
    .description('generate a song from a plan of sections (intro, verse, chorus, …), each continuing the one before')
    .option('--plan <file.json>', 'the song plan (see --example)')
    .option('--example', 'print an example plan and exit')
    .option(
      '--seed <n>',
      "the song's seed; section i uses its own seed derived from it (default: the plan's, else random)",
      integer(0, MAX_SEED),
    )
    .option('--section-takes', 'also keep each section as its own take, linked to the song');
  addOutputOptions(addModelOptions(command)).action(async (flags: SongFlags & { example?: boolean }) => {
    if (flags.example) {
      process.stdout.write(`${JSON.stringify(PLAN_EXAMPLE, null, 2)}\n`);
      return;
    }
    if (!flags.plan)
      throw new CliError('Missing --plan FILE.json: the song\'s sections. "continuo song --example" prints one to start from.', 2);
    const params = readPlan(userPath(flags.plan), flags);
    const bars = params.sections.reduce((sum, s) => sum + s.bars, 0);
    await runMusicJob(globals().dataDir, flags, {
      method: 'jobs/song',
      params,
      label: `Song (${params.sections.length} sections, ${bars} bars)`,
      expectedTakes: 1,
    });
  });
  return command;
}

/** The plan file, checked against the contract now (before any model loads), naming the file and the field. */
function readPlan(path: string, flags: SongFlags): ParamsOf<'jobs/song'> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`Could not read the plan ${path}: ${(error as Error).message}.`, 2);
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw new CliError(`The plan ${path} is not JSON (${(error as Error).message}). "continuo song --example" prints one.`, 2);
  }
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) {
    throw new CliError(`The plan ${path} must be a JSON object with "tempoBpm" and "sections". "continuo song --example" prints one.`, 2);
  }
  const merged = {
    ...plan,
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.sectionTakes ? { sectionTakes: true } : {}),
  };
  try {
    return parseParams('jobs/song', merged);
  } catch (error) {
    throw new CliError(`${(error as Error).message.replace('Invalid jobs/song request', `The plan ${path} is not valid`)}`, 2);
  }
}
