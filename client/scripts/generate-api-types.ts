import { writeFile } from 'node:fs/promises';
import { spawnService } from '../../test/support/service.js';
import { API_TYPES_FILE, generateApiTypes } from './api-types.js';

/**
 * Writes the client's generated types from the OpenAPI document of a running service: the one at
 * `--url`, or else the built service started here for the purpose (with the environment's settings,
 * as `npm start` would use them).
 */
async function main(): Promise<void> {
  const urlFlag = process.argv.indexOf('--url');
  const url = urlFlag >= 0 ? process.argv[urlFlag + 1] : undefined;
  const service = url ? undefined : await spawnService();
  try {
    await writeFile(API_TYPES_FILE, await generateApiTypes(url ?? service!.baseUrl));
    console.log(`wrote ${API_TYPES_FILE}`);
  } finally {
    await service?.stop();
  }
}

await main();
