/** `continuo models`: the MusicGen models to download, check and remove. */
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { VARIANTS, type ModelInfo } from '../../shared/contract';
import { createServices } from '../../main/services';
import { pullCommand } from '../../shared/cli-command';
import { withExistingServices } from '../services-session';
import { CliError } from '../errors';
import { oneOf } from '../parse';
import { userPath } from '../user-path';
import type { GlobalFlags } from '../main';

const size = (bytes: number | null) =>
  bytes === null ? 'size unknown' : bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;

/** "q8 about 2.1 GB, needs ~4.1 GB memory, 1.8 s/s": size (approximate until the Hub lists it), memory, measured speed. */
function variantLine(v: ModelInfo['variants'][number]): string {
  const parts = [`${v.variant} ${v.approximate ? 'about ' : ''}${size(v.bytes)}`];
  if (typeof v.memoryBytes === 'number') parts.push(`needs ~${size(v.memoryBytes)} memory`);
  if (typeof v.secondsPerSecond === 'number') parts.push(`${v.secondsPerSecond.toFixed(2)} s per s of audio here`);
  return parts.join(', ');
}

function describe(model: ModelInfo): string {
  const installed = model.installedVariants.length ? `installed: ${model.installedVariants.join(', ')}` : 'not installed';
  const variants = model.variants.map(variantLine).join('; ');
  const speed = model.variants[0]?.secondsPerSecond;
  const test = `built-in test model (noise, not music)${typeof speed === 'number' ? `; ${speed.toFixed(2)} s per s of audio here` : ''}`;
  const line = `${model.active ? '*' : ' '} ${model.id.padEnd(22)} ${installed.padEnd(28)} ${model.isTestModel ? test : variants}`;
  return model.recommended ? `${line}\n    recommended for this computer: ${model.recommended.reason}` : line;
}

async function confirmLicence(model: ModelInfo, yes: boolean | undefined): Promise<void> {
  if (!model.licence) return;
  process.stderr.write(`${model.name} is licensed ${model.licence.name}: ${model.licence.summary}\n${model.licence.url}\n`);
  if (yes) return;
  if (!process.stdin.isTTY) throw new CliError(`Accept the licence to download: add --yes, as in: ${pullCommand(model.id)}`, 2);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question('Accept the licence and download? [y/N] ');
  rl.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Not downloaded: the licence was not accepted.', 1);
}

export function modelsCommand(globals: () => GlobalFlags): Command {
  const models = new Command('models').description('download, verify and remove MusicGen models');

  models
    .command('list')
    .description('models you can download and the ones installed (* = in use)')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        const list = await services.call('models/list', {});
        process.stdout.write(flags.json ? `${JSON.stringify(list)}\n` : `${list.map(describe).join('\n')}\n`);
      });
    });

  models
    .command('pull <id>')
    .description('download a model (resumes an interrupted download)')
    .addOption(new Option('--variant <variant>', "file variant (default: the model's recommended one)").argParser(oneOf(VARIANTS)))
    .option('--yes', 'accept the model licence without asking')
    .option('--hub <url>', 'Hugging Face Hub base URL, a mirror, or a file: folder of downloaded repos')
    .option('--allow-insecure', 'allow an http:// mirror on another machine (refused by default: no published sha256 protects the files)')
    .option('--json', 'print JSON when done')
    .option('--no-calibrate', 'skip the short run that measures its speed on this computer after install')
    .action(
      async (
        id: string,
        flags: {
          variant?: (typeof VARIANTS)[number];
          yes?: boolean;
          hub?: string;
          allowInsecure?: boolean;
          json?: boolean;
          calibrate: boolean;
        },
      ) => {
        const services = createServices({
          dataDir: globals().dataDir,
          hubBaseUrl: hubUrl(flags.hub ?? process.env.CONTINUO_HUB_URL),
          allowInsecureHub: flags.allowInsecure,
          calibrateAfterInstall: false,
        });
        try {
          const known = (await services.call('models/list', {})).find((m) => m.id === id);
          if (known) await confirmLicence(known, flags.yes);
          const done = new Promise<ModelInfo>((resolve, reject) => {
            services.events.on('model.updated', (model) => {
              if (model.id !== id || !model.download) return;
              const p = model.download;
              if (p.phase === 'downloading' && process.stderr.isTTY) {
                const total = p.totalBytes ? ` of ${size(p.totalBytes)}` : '';
                process.stderr.write(
                  `\r${p.file} (${p.fileIndex + 1}/${p.files}): ${size(p.bytes)}${total}, ${size(p.bytesPerSecond)}/s   `,
                );
              } else if (p.phase === 'verifying' && process.stderr.isTTY) process.stderr.write(`\rverifying ${p.file}…${' '.repeat(30)}`);
              else if (p.phase === 'complete') resolve(model);
              else if (p.phase === 'error') reject(new CliError(p.message));
            });
          });
          const onInt = () => void services.call('models/cancel', { id });
          process.once('SIGINT', onInt);
          await services.call('models/pull', { id, variant: flags.variant, acceptLicence: true });
          let model = await done.finally(() => process.off('SIGINT', onInt));
          if (process.stderr.isTTY) process.stderr.write('\n');
          const warnings = model.download?.phase === 'complete' ? (model.download.warnings ?? []) : [];
          for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
          if (flags.calibrate) {
            process.stderr.write('Measuring its speed on this computer (2.5 s of audio)…\n');
            const result = await services.call('models/calibrate', { id, variant: flags.variant });
            process.stderr.write(
              `${id} ${result.variant}: ${result.secondsPerSecond.toFixed(2)} s of compute per second of audio on ${result.device}.\n`,
            );
            model = (await services.call('models/list', {})).find((m) => m.id === id) ?? model;
          }
          process.stdout.write(flags.json ? `${JSON.stringify(model)}\n` : `Installed ${id} (${model.installedVariants.join(', ')}).\n`);
        } finally {
          await services.close();
        }
      },
    );

  models
    .command('verify <id>')
    .description('re-check every file of an installed model against its size and sha256')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        const result = await services.call('models/verify', { id });
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (result.ok) process.stdout.write(`${id}: all files are intact.\n`);
        else process.stdout.write(`${result.problems.map((p) => `${p.file}: ${p.problem}`).join('\n')}\n`);
        // Files the engine derived from the decoder are not part of the install: a bad one was removed, to be rebuilt.
        if (!flags.json)
          for (const d of result.derived ?? [])
            if (d.state === 'removed')
              process.stdout.write(`${d.file}: derived decoder file, ${d.problem}; removed, the next load rebuilds it.\n`);
        if (!flags.json) for (const warning of result.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
        if (!result.ok) throw new CliError(result.message ?? `${id} is damaged: repair it with ${pullCommand(id)}`);
      });
    });

  models
    .command('calibrate <id>')
    .description("measure an installed model's speed on this computer (a 2.5 s generation): seconds of compute per second of audio")
    .addOption(
      new Option('--variant <variant>', 'the installed variant to measure (default: the one generation uses)').argParser(oneOf(VARIANTS)),
    )
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { variant?: (typeof VARIANTS)[number]; json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        const result = await services.call('models/calibrate', { id, variant: flags.variant });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(result)}\n`
            : `${id} ${result.variant}: ${result.secondsPerSecond.toFixed(2)} s of compute per second of audio on ${result.device} (${result.computeSeconds.toFixed(1)} s for ${result.audioSeconds} s).\n`,
        );
      });
    });

  models
    .command('rm <id>')
    .description('delete an installed model')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        await services.call('models/remove', { id });
        process.stdout.write(flags.json ? `${JSON.stringify({ ok: true })}\n` : `Removed ${id}.\n`);
      });
    });

  models
    .command('use <id>')
    .description('generate with this installed model from now on')
    .action(async (id: string) => {
      await withExistingServices(globals().dataDir, async (services) => {
        await services.call('models/use', { id });
        process.stdout.write(`Using ${id}.\n`);
      });
    });
  return models;
}

/** A `file:` hub given as a relative folder is relative to where the user typed the command. */
function hubUrl(hub: string | undefined): string | undefined {
  if (!hub || /^[a-z][a-z0-9+.-]*:/i.test(hub)) return hub;
  return pathToFileURL(userPath(hub)).href;
}
