/** `continuo library`: the takes in the library, through the same services the studio uses. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Take } from '../../shared/contract';
import { EXPORT_FORMATS } from '../../shared/contract';
import { cliCommand } from '../../shared/cli-command';
import { writeFileAtomic } from '../../main/atomic-file';
import { prepareOutputs } from '../output';
import { withExistingServices, withServices } from '../services-session';
import { CliError } from '../errors';
import { userPath } from '../user-path';
import { decimal, integer, oneOf } from '../parse';
import type { GlobalFlags } from '../main';

function line(take: Take): string {
  const mark = take.favourite ? '★' : ' ';
  const lineage = take.parentId ? ` ← ${take.parentId}` : '';
  const tags = take.tags.length ? ` [${take.tags.join(', ')}]` : '';
  return `${mark} ${take.id}  ${take.durationSeconds.toFixed(1).padStart(6)} s  seed ${String(take.seed).padEnd(10)} ${take.createdAt.slice(0, 16).replace('T', ' ')}  ${take.title ?? take.prompt}${tags}${lineage}`;
}

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

interface ListFlags {
  search?: string;
  favourite?: boolean;
  tag?: string;
  trash?: boolean;
  limit: number;
  json?: boolean;
}

export function libraryCommand(globals: () => GlobalFlags): Command {
  const library = new Command('library').description('list, search and manage generated takes');
  const list = (name: string, description: string, withQuery: boolean) => {
    const command = library.command(name).description(description);
    if (withQuery) command.argument('<query>', 'words to find in prompts, titles and tags');
    return command
      .option('--favourite', 'only favourites')
      .option('--tag <tag>', 'only takes with this tag')
      .option('--trash', 'list the trash instead')
      .option('--limit <n>', 'how many takes', integer(1, 500), 50)
      .option('--json', 'print JSON')
      .action(async (...args: unknown[]) => {
        const flags = (withQuery ? args[1] : args[0]) as ListFlags;
        const search = withQuery ? (args[0] as string) : undefined;
        await withExistingServices(globals().dataDir, async (services) => {
          const result = await services.call('takes/list', {
            search,
            favourite: flags.favourite,
            tag: flags.tag,
            trash: flags.trash ?? false,
            limit: flags.limit,
          });
          print(flags.json, result, () =>
            result.takes.length ? [...result.takes.map(line), `${result.total} take(s)`].join('\n') : 'No takes found.',
          );
        });
      });
  };
  list('list', 'list takes, newest first', false);
  list('search', 'find takes by prompt, title or tag', true);

  library
    .command('show <id>')
    .description('show one take with its settings and lineage')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        const take = await services.call('takes/get', { id });
        const lineage = await services.call('takes/lineage', { id });
        print(flags.json, { ...take, lineage }, () =>
          [
            line(take),
            `prompt: ${take.prompt}`,
            `model: ${take.modelId} (${take.modelVariant}) on ${take.device}`,
            `settings: ${JSON.stringify(take.settings)}`,
            `audio: ${services.library.audioPath(take.id)}`,
            ...(lineage.ancestors.length ? [`continued from: ${lineage.ancestors.map((t) => t.id).join(' → ')}`] : []),
            ...(lineage.descendants.length ? [`continued by: ${lineage.descendants.map((t) => t.id).join(', ')}`] : []),
          ].join('\n'),
        );
      });
    });

  library
    .command('import <files...>')
    .description('add audio files (WAV, FLAC, MP3, OGG/Opus, AIFF, M4A) to the library as imported takes')
    .option('--title <title>', 'the title of the new takes (default: each file name)')
    .option('--json', 'print JSON')
    .action(async (files: string[], flags: { title?: string; json?: boolean }) => {
      // A file that cannot be imported is reported and skipped; the others are still imported.
      const takes: Take[] = [];
      const failed: string[] = [];
      await withServices(globals().dataDir, async (services) => {
        for (const file of files) {
          try {
            takes.push(await services.call('takes/import', { path: userPath(file), title: flags.title }));
          } catch (error) {
            failed.push((error as Error).message);
          }
        }
      });
      if (flags.json || takes.length > 0) print(flags.json, takes, () => takes.map((t) => t.id).join('\n'));
      if (failed.length > 0) {
        const nothing = takes.length === 0 ? 'Nothing was imported. ' : '';
        throw new CliError(`${nothing}${failed.join('\n')}`);
      }
    });

  library
    .command('rm <id>')
    .description('move a take to the trash (undo with "library restore")')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        const take = await services.call('takes/delete', { id });
        print(flags.json, take, () => `Moved ${take.id} to the trash. Undo with: ${cliCommand(`library restore ${take.id}`)}`);
      });
    });

  library
    .command('restore <id>')
    .description('bring a take back from the trash')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withExistingServices(globals().dataDir, async (services) => {
        const take = await services.call('takes/restore', { id });
        print(flags.json, take, () => `Restored ${take.id}.`);
      });
    });

  library
    .command('export-take <id>')
    .description('write a take as WAV or FLAC, resampled for your DAW')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, oneOf(EXPORT_FORMATS))
    .option('--rate <hz>', 'sample rate: 32000, 44100 or 48000', (v) => Number(oneOf(['32000', '44100', '48000'] as const)(v)))
    .option('--lufs <lufs>', 'normalise to this integrated loudness (LUFS), under the true-peak ceiling', decimal(-40, 0))
    .option('--ceiling <dbtp>', 'true-peak ceiling in dBTP for --lufs and --limit (default -1)', decimal(-12, 0))
    .option('--limit', 'limit the true peak to the ceiling instead of warning that the file would clip')
    .option('--out <file>', 'copy the export here (default: the exports folder)')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        flags: {
          format?: (typeof EXPORT_FORMATS)[number];
          rate?: 32000 | 44100 | 48000;
          lufs?: number;
          ceiling?: number;
          limit?: boolean;
          out?: string;
          json?: boolean;
        },
      ) => {
        // Checked before the export and written like generate's --out: through a symlink, never into a pipe or device.
        const output = flags.out ? prepareOutputs(userPath(flags.out), 1)[0] : undefined;
        await withExistingServices(globals().dataDir, async (services) => {
          const result = await services.call('export/take', {
            id,
            format: flags.format,
            sampleRate: flags.rate,
            targetLufs: flags.lufs,
            ceilingDb: flags.ceiling,
            limit: flags.limit,
          });
          let { file } = result;
          if (output) {
            writeFileAtomic(output.target, readFileSync(file));
            file = output.path;
          }
          for (const warning of result.warnings) process.stderr.write(`Warning: ${warning}\n`);
          const levels = `${result.loudnessLufs?.toFixed(1) ?? '-inf'} LUFS, ${result.truePeakDb?.toFixed(1) ?? '-inf'} dBTP`;
          print(flags.json, { ...result, file }, () => `Wrote ${file} (${levels})`);
        });
      },
    );
  return library;
}
