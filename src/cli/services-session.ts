/** Runs a CLI command against the services over the data folder, closing them afterwards. */
import { createServices, type Services } from '../main/services';

export async function withServices<T>(dataDir: string, body: (services: Services) => Promise<T>): Promise<T> {
  const services = createServices({ dataDir, version: process.env.npm_package_version });
  try {
    return await body(services);
  } finally {
    await services.close();
  }
}
