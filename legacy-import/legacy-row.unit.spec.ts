import { checkRow } from './legacy-row.js';
import type { SourceRow } from './source.js';

const row: SourceRow = {
  id: '00000000-0000-4000-8000-000000000001',
  project_id: 'p-1',
  content: 'hello',
  role: 'user',
  kind: null,
  status: null,
  created_at: new Date(0),
  updated_at: null,
  created_by: null,
  image_urls: null,
  sequence: null,
  extra: {},
};

describe('checkRow', () => {
  it('accepts a plain user row as a message of kind message without images', () => {
    expect(checkRow(row)).toEqual({
      message: expect.objectContaining({ id: row.id, kind: 'message', imageUrls: [], status: null }),
    });
  });

  it.each([
    // PostgreSQL text cannot hold NUL, but a source reached through another driver or a view could.
    [{ content: 'a\u0000b' }, 'content contains U+0000 (NUL)'],
    [{ id: 'not-a-uuid' }, 'the id is not a UUID'],
    [
      { project_id: 'no spaces allowed' },
      'the project id is not one the API accepts (1 to 100 of A-Z a-z 0-9 _ -)',
    ],
    [{ kind: 'note' }, 'unknown kind "note"'],
    [{ image_urls: ['a', null] }, 'malformed image URLs (not an array of strings)'],
  ] as [Partial<SourceRow>, string][])('rejects %j', (change, reason) => {
    expect(checkRow({ ...row, ...change })).toEqual({
      reject: { id: change.id ?? row.id, projectId: change.project_id ?? row.project_id, reason },
    });
  });
});
