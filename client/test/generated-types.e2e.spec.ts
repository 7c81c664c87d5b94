import { readFile } from 'node:fs/promises';
import { createTestDatabase } from '../../test/support/database.js';
import { type RunningService, startService } from '../../test/support/service.js';
import { API_TYPES_FILE, generateApiTypes } from '../scripts/api-types.js';

let service: RunningService;

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createTestDatabase('client_types') });
});
afterAll(() => service?.stop());

it('the committed client types are those of the running service’s OpenAPI document (else: npm run client:types)', async () => {
  const committed = await readFile(API_TYPES_FILE, 'utf8').catch(() => '');
  expect(committed).toBe(await generateApiTypes(service.baseUrl));
});
