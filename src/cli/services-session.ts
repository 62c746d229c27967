/** Runs a CLI command against the services over the data folder, closing them afterwards. */
import { statSync } from 'node:fs';
import { createServices, type Services } from '../main/services';
import { CliError } from './errors';

/**
 * For commands that only look at what is there (library, models list/verify): a data folder that
 * does not exist is a wrong --data-dir to report, not one to create (opening the library would).
 */
export function requireDataDir(dataDir: string): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(dataDir).isDirectory();
  } catch {
    throw new CliError(
      `No Continuo data folder at ${dataDir}: check --data-dir (or CONTINUO_DATA_DIR). Nothing has been generated or downloaded there yet.`,
    );
  }
  if (!isFolder) throw new CliError(`${dataDir} is a file, not a Continuo data folder: check --data-dir (or CONTINUO_DATA_DIR).`);
}

export async function withServices<T>(dataDir: string, body: (services: Services) => Promise<T>): Promise<T> {
  const services = createServices({ dataDir, version: process.env.npm_package_version });
  try {
    return await body(services);
  } finally {
    await services.close();
  }
}

/** withServices for a data folder that must already exist (see requireDataDir). */
export async function withExistingServices<T>(dataDir: string, body: (services: Services) => Promise<T>): Promise<T> {
  requireDataDir(dataDir);
  return withServices(dataDir, body);
}
