import {
  type CpuProfile,
  type CpuProfileNode,
  packageOf,
  profileMarkdown,
  summarizeProfile,
} from '../bench/support/cpu-profile.js';

const ROOT = '/srv/app';

function node(id: number, functionName: string, url: string, children: number[] = []): CpuProfileNode {
  return { id, callFrame: { functionName, url, lineNumber: 9 }, children };
}

/**
 * (root)
 * ├─ (program) · (garbage collector) · (idle)
 * └─ bootstrap (dist/src/main.js)
 *    ├─ handle (dist/src/conversation/…) → query (pg) → query (pg, recursing) → writev (native)
 *    └─ compress (@fastify/compress) → onwrite (node:internal)
 */
const PROFILE: CpuProfile = {
  nodes: [
    node(1, '(root)', '', [2, 3, 4, 9]),
    node(2, '(program)', ''),
    node(3, '(garbage collector)', ''),
    node(4, 'bootstrap', `file://${ROOT}/dist/src/main.js`, [5, 10]),
    node(5, 'handle', `file://${ROOT}/dist/src/conversation/conversation.processor.js`, [6]),
    node(6, 'query', `file://${ROOT}/node_modules/pg/lib/client.js`, [7]),
    node(7, 'query', `file://${ROOT}/node_modules/pg/lib/client.js`, [8]),
    node(8, 'writev', ''),
    node(9, '(idle)', ''),
    node(10, 'compress', `file://${ROOT}/node_modules/@fastify/compress/index.js`, [11]),
    node(11, 'onwrite', 'node:internal/streams/writable'),
  ],
  startTime: 0,
  endTime: 10_000,
  samples: [2, 3, 5, 7, 7, 8, 8, 8, 10, 11],
  timeDeltas: Array.from({ length: 10 }, () => 1000),
};

const shareOf = (rows: { name: string; share: number }[], name: string) =>
  rows.find((row) => row.name === name)?.share;

describe('CPU profile summary', () => {
  const summary = summarizeProfile(PROFILE, ROOT);

  it('shares self samples by package, GC and the other pseudo-frames apart', () => {
    expect(summary.samples).toBe(10);
    expect(summary.durationMs).toBe(10);
    expect(Object.fromEntries(summary.byPackage.map((row) => [row.name, row.share]))).toEqual({
      '(native)': 0.3,
      pg: 0.2,
      '(program)': 0.1,
      '(garbage collector)': 0.1,
      'src/conversation': 0.1,
      '@fastify/compress': 0.1,
      'node (internal)': 0.1,
    });
  });

  it('counts a package or function once per sample however often it recurses', () => {
    expect(shareOf(summary.inclusiveByPackage, 'pg')).toBe(0.5);
    expect(shareOf(summary.inclusiveByPackage, 'src/conversation')).toBe(0.6);
    expect(shareOf(summary.inclusiveByPackage, 'src')).toBe(0.8);
    expect(shareOf(summary.topInclusive, 'query pg/lib/client.js:10')).toBe(0.5);
    expect(shareOf(summary.topInclusive, 'bootstrap dist/src/main.js:10')).toBe(0.8);
    expect(shareOf(summary.topSelf, 'query pg/lib/client.js:10')).toBe(0.2);
    expect(summary.topInclusive.some((row) => row.name === '(root)')).toBe(false);
  });

  it('orders the functions by samples, most first', () => {
    expect(summary.topSelf[0]).toEqual({ name: 'writev', samples: 3, share: 0.3 });
    expect(summarizeProfile(PROFILE, ROOT, { top: 2 }).topSelf).toHaveLength(2);
  });

  it('keeps only the samples taken within the window', () => {
    // Samples are taken at 1, 2, ... 10 ms: the window holds the 4th to the 6th (7, 7, 8).
    const cropped = summarizeProfile(PROFILE, ROOT, { window: { fromUs: 3_500, toUs: 6_000 } });
    expect(cropped.samples).toBe(3);
    expect(cropped.durationMs).toBe(2.5);
    expect(cropped.byPackage.map((row) => [row.name, row.samples])).toEqual([
      ['pg', 2],
      ['(native)', 1],
    ]);
  });

  it('names the package of a script, its scope kept, and the service code by directory', () => {
    const at = (url: string) => packageOf({ functionName: 'f', url, lineNumber: 0 }, ROOT);
    expect(at(`file://${ROOT}/node_modules/a/node_modules/@nestjs/core/x.js`)).toBe('@nestjs/core');
    expect(at(`file://${ROOT}/dist/projections/projector.js`)).toBe('projections');
    expect(at('file:///elsewhere/x.js')).toBe('other');
  });

  it('writes the GC share into the Markdown summary', () => {
    const text = profileMarkdown('append-many', summary);
    expect(text).toContain('garbage collector 10.0 %');
    expect(text).toContain('| pg | 2 | 20.0 % |');
  });
});
