import {
  type AppendResult,
  type EventStore,
  EventStoreUnavailableError,
  type ExpectedRevision,
  WrongExpectedVersionError,
} from './event-store.port.js';

/** An exact expected revision is a stream revision: 0 or more. */
export function assertValidExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'bigint' && expected < 0n) {
    throw new RangeError(`Expected revision must be >= 0, got ${expected}`);
  }
}

/** Whether a stream at revision `actual` (-1n: no stream) meets an expected revision. */
export function meetsExpectedRevision(expected: ExpectedRevision, actual: bigint): boolean {
  return (
    expected === 'any' ||
    (expected === 'no_stream' && actual === -1n) ||
    (expected === 'stream_exists' && actual >= 0n) ||
    expected === actual
  );
}

/**
 * An append of no events, as every adapter answers it: nothing is written, the expectation is
 * checked against the stream's current revision, and an unreachable store means nothing was appended.
 */
export async function checkExpectedRevision(
  store: Pick<EventStore, 'streamRevision'>,
  streamName: string,
  expected: ExpectedRevision,
  position: string,
): Promise<AppendResult> {
  const actual = await store.streamRevision(streamName).catch((error: unknown) => {
    if (!(error instanceof EventStoreUnavailableError)) throw error;
    throw new EventStoreUnavailableError('event store unreachable; nothing was appended', {
      cause: error.cause,
      operation: 'append',
    });
  });
  if (!meetsExpectedRevision(expected, actual))
    throw new WrongExpectedVersionError(streamName, expected, actual);
  return { nextExpectedRevision: actual, position };
}
