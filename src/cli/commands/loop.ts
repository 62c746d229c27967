/**
 * `continuo loop`: an N-bar loop at a tempo (jobs/loop), exactly N bars long and written with its
 * loop points (`smpl`) and tempo (`acid`), so a sampler or DAW loops it at once.
 */
import { Command, Option } from 'commander';
import { LOOP_BARS, MAX_SEED } from '../../shared/contract';
import { CliError } from '../errors';
import { addModelOptions, addMusicOptions } from '../generation-options';
import { addOutputOptions, runMusicJob, type MusicJobFlags } from '../music-jobs';
import { decimal, integer } from '../parse';
import type { TimeSignature } from '../../shared/musical-time';
import type { GlobalFlags } from '../main';

interface LoopFlags extends MusicJobFlags {
  prompt?: string;
  tempo?: number;
  key?: string;
  signature?: TimeSignature;
  bars: string;
  variations: number;
  seed?: number;
  guidance?: number;
}

export function loopCommand(globals: () => GlobalFlags): Command {
  const command = new Command('loop')
    .description('generate an N-bar loop at a tempo, cut on bar lines where it joins best, with loop points for samplers and DAWs')
    .option('--prompt <text>', 'what to loop, e.g. "dusty boom bap drums"')
    .addOption(new Option('--bars <n>', 'loop length in bars').choices(LOOP_BARS.map(String)).default('4'))
    .option('--variations <n>', 'loops to make, generated together', integer(1, 4), 1)
    .option('--seed <n>', 'random seed; loop i uses seed + i (default: random)', integer(0, MAX_SEED))
    .option('--guidance <g>', 'classifier-free guidance scale (default 3)', decimal(1, 20));
  addOutputOptions(addMusicOptions(addModelOptions(command))).action(async (flags: LoopFlags) => {
    if (flags.prompt === undefined) throw new CliError('Missing --prompt: describe the loop, e.g. --prompt "dusty boom bap drums".', 2);
    if (flags.tempo === undefined) throw new CliError('Missing --tempo BPM: a loop is cut on bar lines at its tempo.', 2);
    const bars = Number(flags.bars) as (typeof LOOP_BARS)[number];
    await runMusicJob(globals().dataDir, flags, {
      method: 'jobs/loop',
      params: {
        prompt: flags.prompt,
        tempoBpm: flags.tempo,
        key: flags.key,
        timeSignature: flags.signature,
        bars,
        variations: flags.variations,
        seed: flags.seed,
        guidanceScale: flags.guidance,
      },
      label: `${bars}-bar loop`,
      expectedTakes: flags.variations,
    });
  });
  return command;
}
