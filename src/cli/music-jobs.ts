/**
 * What `song` and `loop` share: the model and the services for the run (as generate's), one job
 * through the services, each take written to --out by the services' own export (so a loop keeps
 * its loop points and tempo, and a song its section markers), and a report of the musical facts.
 */
import { Option, type Command } from 'commander';
import type { Job, ParamsOf, Take } from '../shared/contract';
import { EXPORT_FORMATS } from '../shared/contract';
import { keyFact, seamSummary, tempoFact } from '../shared/music-words';
import { CliError } from './errors';
import { Interrupt, runJob, type JobMethod } from './job-runner';
import { chooseModel, TEST_MODEL_NOTICE, type ModelFlags } from './model-choice';
import { prepareOutputs } from './output';
import { oneOf } from './parse';
import { progressMode } from './progress';
import { openRunServices } from './run-services';
import { userPath } from './user-path';

type ExportFormat = (typeof EXPORT_FORMATS)[number];
const RATES = ['32000', '44100', '48000'] as const;

export interface MusicJobFlags extends ModelFlags {
  out?: string;
  format: ExportFormat;
  rate?: (typeof RATES)[number];
  save: boolean;
  json?: boolean;
  progress?: boolean;
}

export function addOutputOptions(command: Command): Command {
  return command
    .option('--out <file>', 'write the audio here, with its tempo, loop points and markers (several takes: name-1.wav, …)')
    .addOption(
      new Option('--format <format>', `file format: ${EXPORT_FORMATS.join(', ')} (generate's pcm16, pcm24, float32 mean the WAV ones)`)
        .argParser(exportFormat)
        .default('wav24'),
    )
    .addOption(new Option('--rate <hz>', "sample rate of --out (default: the model's, 32000)").choices(RATES))
    .option('--no-save', 'do not keep the takes in the library')
    .option('--json', 'print one JSON object with the takes, their sections and timings on stdout')
    .option('--progress', 'print progress lines on stderr (default: only on a terminal)');
}

/** `generate`'s WAV sample formats name the same files here. */
const SAMPLE_FORMAT_NAMES: Record<string, ExportFormat> = { pcm16: 'wav16', pcm24: 'wav24', float32: 'wav32f' };

function exportFormat(value: string): ExportFormat {
  return SAMPLE_FORMAT_NAMES[value] ?? oneOf(EXPORT_FORMATS)(value);
}

/** Runs one job and keeps its takes; `expectedTakes` sizes --out before anything runs. */
export async function runMusicJob<M extends JobMethod>(
  dataDir: string,
  flags: MusicJobFlags,
  job: { method: M; params: ParamsOf<M>; label: string; expectedTakes: number },
): Promise<void> {
  if (!flags.out && !flags.save) throw new CliError('Nothing would be kept: give --out FILE.wav, or drop --no-save.', 2);
  const outputs = flags.out ? prepareOutputs(userPath(flags.out), job.expectedTakes) : [];
  const choice = chooseModel(dataDir, flags);
  const run = openRunServices(dataDir, { save: flags.save, session: choice.session });
  if (choice.model.isTestModel) process.stderr.write(`note: ${TEST_MODEL_NOTICE}\n`);
  const interrupt = new Interrupt();
  try {
    const { services } = run;
    let finished;
    try {
      finished = await runJob(services, job.method, job.params, { label: job.label, progress: progressMode(flags.progress), interrupt });
    } catch (error) {
      const keptId = error instanceof Error && error.name === 'AbortError' ? (error as { job?: Job }).job?.takeIds[0] : undefined;
      if (keptId) throw new CliError(`Cancelled. ${await keptAfterCancel(services, keptId, flags.save)}`, 130);
      throw error;
    }
    // A song with section takes: the song is take 0 and is what --out gets; the sections stay in the library.
    const takes = job.method === 'jobs/song' ? finished.takes.slice(0, 1) : finished.takes;
    const files: (string | null)[] = [];
    for (const [i, take] of takes.entries()) {
      const output = outputs[i];
      if (!output) {
        files.push(null);
        continue;
      }
      const sampleRate = flags.rate ? Number(flags.rate) : undefined;
      await services.exportTakeTo(take.id, output.target, { format: flags.format, sampleRate });
      files.push(output.path);
    }
    report(finished.takes, files, flags, run.save, finished.job.result);
  } finally {
    interrupt.dispose();
    await run.close();
  }
}

/** After a cancel: a song keeps its finished sections as a take; say where it is. */
async function keptAfterCancel(services: ReturnType<typeof openRunServices>['services'], takeId: string, save: boolean): Promise<string> {
  if (!save) return 'The finished sections were not kept (--no-save); nothing was written to --out.';
  const take = await services.call('takes/get', { id: takeId });
  return `The finished sections are in the library as "${take.title}" (take ${take.id.slice(0, 8)}); nothing was written to --out.`;
}

type JobResult = NonNullable<Awaited<ReturnType<typeof runJob>>['job']['result']>;

function seconds(value: number): string {
  return `${(Math.round(value * 10) / 10).toFixed(1)} s`;
}

function report(takes: Take[], files: (string | null)[], flags: MusicJobFlags, save: boolean, result: JobResult | undefined): void {
  if (flags.json) {
    const json = {
      takes: takes.map((take, i) => ({
        takeId: save ? take.id : null,
        out: files[i] ?? null,
        title: take.title,
        prompt: take.prompt,
        seed: take.seed,
        seconds: take.durationSeconds,
        samples: Math.round(take.durationSeconds * take.sampleRate),
        sampleRate: take.sampleRate,
        parentId: take.parentId,
        music: take.music,
      })),
      model: result && { id: result.modelId, variant: result.variant, device: result.device, deviceReason: result.deviceReason },
      timings: result?.timings,
      warnings: result?.warnings ?? [],
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  if (result) process.stdout.write(`Model ${result.modelId} (${result.variant}) on ${result.deviceReason}\n`);
  takes.forEach((take, i) => {
    const where =
      [files[i] && `wrote ${files[i]}`, save && `saved as take ${take.id.slice(0, 8)}`].filter(Boolean).join(', ') || 'not kept';
    const music = take.music;
    const facts = [tempoFact(music), keyFact(music), music?.timeSignature].filter(Boolean).join(', ');
    process.stdout.write(
      `${take.title ?? take.prompt}: ${seconds(take.durationSeconds)}${facts ? ` (${facts})` : ''}, seed ${take.seed}: ${where}\n`,
    );
    for (const [n, section] of (music?.song?.sections ?? []).entries()) {
      const seam = section.seam ? `; ${seamSummary(section.seam)}` : '';
      process.stdout.write(
        `  ${n + 1}. ${section.name}: ${seconds(section.startSeconds)}–${seconds(section.endSeconds)}, ${section.bars} bars, seed ${section.seed}${seam}\n`,
      );
    }
    if (music?.loop)
      process.stdout.write(
        `  loops ${music.loop.bars} bar${music.loop.bars === 1 ? '' : 's'}: ${seamSummary(music.loop.seam).replace(' seam', ' loop point')}\n`,
      );
  });
}
