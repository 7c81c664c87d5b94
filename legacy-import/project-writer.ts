import { streamNameOf } from '../src/conversation/conversation-stream.js';
import {
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  StreamErasedError,
  WrongExpectedVersionError,
} from '../src/event-store/event-store.port.js';
import { isImported } from './conversation-plan.js';

export type WriteOutcome = { written: number; alreadyThere: number } | { skipped: string };

/** Another writer moved the stream while this one appended; reading it again settles who wrote what. */
const ATTEMPTS = 5;

/**
 * Appends the events of one project that its stream does not hold yet, in order, each batch at the
 * revision the stream was read at: a concurrent or earlier run that got there first makes the
 * append fail rather than write twice, and the stream is read again. A stream holding events the
 * import did not write is someone's live conversation, and is left alone.
 */
export async function writeProject(
  store: EventStore,
  projectId: string,
  events: readonly NewEvent[],
  batchSize: number,
): Promise<WriteOutcome> {
  const stream = streamNameOf(projectId);
  for (let attempt = 1; ; attempt++) {
    try {
      return await appendMissing(store, stream, events, batchSize);
    } catch (error) {
      if (error instanceof StreamErasedError) return { skipped: 'the project was erased' };
      if (!(error instanceof WrongExpectedVersionError) || attempt === ATTEMPTS) throw error;
    }
  }
}

async function appendMissing(
  store: EventStore,
  stream: string,
  events: readonly NewEvent[],
  batchSize: number,
): Promise<WriteOutcome> {
  const revision = await store.streamRevision(stream);
  const present = revision < 0n ? new Set<string>() : await importedIds(store, stream);
  if (present === undefined) return { skipped: 'its stream holds events that were not imported' };
  const missing = events.filter((event) => !present.has(event.id));
  let expected: ExpectedRevision = revision < 0n ? 'no_stream' : revision;
  for (let from = 0; from < missing.length; from += batchSize) {
    const result = await store.append(stream, missing.slice(from, from + batchSize), expected);
    expected = result.nextExpectedRevision;
  }
  return { written: missing.length, alreadyThere: events.length - missing.length };
}

/** The ids of the stream's events, or undefined when any of them did not come from the import. */
async function importedIds(store: EventStore, stream: string): Promise<Set<string> | undefined> {
  const ids = new Set<string>();
  for (let fromRevision = 0n; ;) {
    const page = await store.readStream(stream, { fromRevision, maxCount: 1000 });
    for (const event of page) {
      if (!isImported(event.metadata)) return undefined;
      ids.add(event.id);
    }
    const last = page.at(-1);
    if (!last || page.length < 1000) return ids;
    fromRevision = last.revision + 1n;
  }
}
