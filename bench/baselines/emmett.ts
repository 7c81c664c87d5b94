import { streamNameOf } from '../../src/conversation/conversation-stream.js';
import { randomUUID } from 'node:crypto';
import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { loopSummary, maxPerWriter, runWriters } from '../support/stats.js';
import type { Bench, BenchContext, BenchResult } from '../support/types.js';
import { WRITER_COUNTS } from './raw-insert.js';

type UserMessaged = {
  type: 'UserMessaged';
  data: { messageId: string; projectId: string; content: string; imageUrls: string[]; createdAt: string };
};

function userMessaged(projectId: string, content: string): UserMessaged {
  const messageId = randomUUID();
  return {
    type: 'UserMessaged',
    data: { messageId, projectId, content, imageUrls: [], createdAt: new Date().toISOString() },
  };
}

/** Emmett migrates its schema on first use; do it before the clock starts. */
async function openStore(context: BenchContext, name: string): Promise<PostgresEventStore> {
  const store = getPostgreSQLEventStore(await context.database(name));
  await store.schema.migrate();
  return store;
}

/** Each writer on its own stream, with the exact expected version (as append-many-port does). */
async function measureMany(context: BenchContext, writers: number): Promise<BenchResult> {
  const store = await openStore(context, `emmett_${writers}`);
  try {
    const versions = new Array<bigint>(writers).fill(0n);
    const { durationSec } = context.options;
    const result = await runWriters(
      writers,
      { durationMs: durationSec * 1000, maxPerWriter: maxPerWriter(durationSec, writers) },
      async (writer) => {
        const appended = await store.appendToStream(
          streamNameOf(`w${writer}`),
          [userMessaged(`w${writer}`, 'bench message')],
          { expectedStreamVersion: versions[writer] ?? 0n },
        );
        versions[writer] = appended.nextExpectedStreamVersion;
      },
    );
    return {
      id: `emmett-${writers}`,
      name: `emmett ×${writers}`,
      what: `emmett-postgresql 0.42 appendToStream, ${writers} writer(s), each on its own stream`,
      unit: 'appends/s',
      ...loopSummary(result),
    };
  } finally {
    await store.close();
  }
}

export const emmett: Bench = {
  name: 'emmett',
  async run(context) {
    const results: BenchResult[] = [];
    for (const writers of WRITER_COUNTS) results.push(await measureMany(context, writers));
    return results;
  },
};

/** Read the stream, append with the version read, retry on conflict: many writers, one stream. */
export const emmettHot: Bench = {
  name: 'emmett-hot',
  async run(context): Promise<BenchResult[]> {
    const { hotWriters, durationSec } = context.options;
    const store = await openStore(context, 'emmett_hot');
    const stream = streamNameOf('hot');
    const deadline = performance.now() + durationSec * 1000;
    let conflicts = 0;
    try {
      const result = await runWriters(
        hotWriters,
        { durationMs: durationSec * 1000, maxPerWriter: maxPerWriter(durationSec, hotWriters) },
        async (writer, index) => {
          while (performance.now() < deadline) {
            const { currentStreamVersion } = await store.readStream(stream);
            try {
              await store.appendToStream(stream, [userMessaged('hot', `writer ${writer} message ${index}`)], {
                expectedStreamVersion: currentStreamVersion,
              });
              return true;
            } catch (error) {
              if (!isExpectedVersionConflictError(error)) throw error;
              conflicts++;
            }
          }
          return false;
        },
      );
      const summary = loopSummary(result);
      return [
        {
          id: 'emmett-hot',
          name: `emmett-hot ×${hotWriters}`,
          what: `emmett read → append(expectedStreamVersion) → retry on conflict, ${hotWriters} writers, one stream`,
          unit: 'appends/s',
          ...summary,
          extra: { ...summary.extra, conflicts },
        },
      ];
    } finally {
      await store.close();
    }
  },
};
