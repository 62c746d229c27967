#!/usr/bin/env node
/** The `continuo` command: the studio's services from a terminal. */
import { Command } from 'commander';
import { defaultDataDir } from '../main/paths';
import { continueCommand } from './commands/continue';
import { generateCommand } from './commands/generate';
import { libraryCommand } from './commands/library';
import { loopCommand } from './commands/loop';
import { songCommand } from './commands/song';
import { modelsCommand } from './commands/models';
import { serveCommand } from './commands/serve';
import { reportError } from './errors';
import { userPath } from './user-path';

export interface GlobalFlags {
  dataDir: string;
}

const program = new Command('continuo')
  .description('Continuo: generate and continue music with MusicGen, locally')
  .option('--data-dir <dir>', 'library and models folder (default: the app data folder, or $CONTINUO_DATA_DIR)')
  .showHelpAfterError('(run with --help for usage)');

// Relative --data-dir / CONTINUO_DATA_DIR mean the folder the user typed the command in (npm run moves us).
const globals = (): GlobalFlags => {
  const typed = program.opts().dataDir ?? process.env.CONTINUO_DATA_DIR;
  return { dataDir: typed ? userPath(typed) : defaultDataDir() };
};

program.addCommand(generateCommand(globals));
program.addCommand(continueCommand(globals));
program.addCommand(songCommand(globals));
program.addCommand(loopCommand(globals));
program.addCommand(libraryCommand(globals));
program.addCommand(modelsCommand(globals));
program.addCommand(serveCommand(globals));

/** Every command's --help lists the global options too, so `serve --help` shows --data-dir. */
const showGlobalOptions = (command: Command): void => {
  command.configureHelp({ ...command.configureHelp(), showGlobalOptions: true });
  command.commands.forEach(showGlobalOptions);
};
showGlobalOptions(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
