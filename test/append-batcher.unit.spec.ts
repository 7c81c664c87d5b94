import type { AppendResult } from '../src/event-store/event-store.port.js';
import { AppendBatcher, type PendingAppend } from '../src/event-store/postgres/append-batcher.js';

/** A flush that the test ends: each batch waits until `finish` resolves (or fails) it. */
class Flushes {
  readonly batches: PendingAppend[][] = [];
  private readonly ends: ((error?: unknown) => void)[] = [];

  readonly flush = (batch: PendingAppend[]): Promise<void> => {
    this.batches.push(batch);
    return new Promise<void>((resolve, reject) => {
      this.ends.push((error) => {
        if (error) return reject(error);
        batch.forEach((item, i) =>
          item.resolve({ nextExpectedRevision: BigInt(i), position: item.streamName }),
        );
        resolve();
      });
    });
  };

  /** Ends the oldest flush still under way, then lets the batcher start the next. */
  async finish(error?: unknown): Promise<void> {
    this.ends.shift()?.(error);
    await new Promise((resolve) => setImmediate(resolve));
  }

  streams(): string[][] {
    return this.batches.map((batch) => batch.map((item) => item.streamName));
  }
}

let flushes: Flushes;
const append = (batcher: AppendBatcher, streamName: string): Promise<AppendResult> =>
  batcher.enqueue({ streamName, events: [], expected: 'any' });

beforeEach(() => (flushes = new Flushes()));

it('an idle batcher sends each append at once', async () => {
  const batcher = new AppendBatcher(flushes.flush, { maxInFlight: 2, maxBatchSize: 10 });
  const a = append(batcher, 'a');
  const b = append(batcher, 'b');
  expect(flushes.streams()).toEqual([['a'], ['b']]);
  await flushes.finish();
  await flushes.finish();
  await expect(Promise.all([a, b])).resolves.toHaveLength(2);
});

it('appends arriving while the flushes are under way leave together in the next one', async () => {
  const batcher = new AppendBatcher(flushes.flush, { maxInFlight: 1, maxBatchSize: 10 });
  const all = ['a', 'b', 'c', 'd'].map((name) => append(batcher, name));
  expect(flushes.streams()).toEqual([['a']]);
  await flushes.finish();
  expect(flushes.streams()).toEqual([['a'], ['b', 'c', 'd']]);
  await flushes.finish();
  await expect(Promise.all(all)).resolves.toHaveLength(4);
});

it('takes one append per stream into a batch, so each stream keeps its order', async () => {
  const batcher = new AppendBatcher(flushes.flush, { maxInFlight: 1, maxBatchSize: 10 });
  const all = ['x', 'a', 'b', 'a', 'b', 'c'].map((name) => append(batcher, name));
  await flushes.finish();
  await flushes.finish();
  await flushes.finish();
  expect(flushes.streams()).toEqual([['x'], ['a', 'b', 'c'], ['a', 'b']]);
  await Promise.all(all);
});

it('takes at most maxBatchSize appends, the oldest first', async () => {
  const batcher = new AppendBatcher(flushes.flush, { maxInFlight: 1, maxBatchSize: 2 });
  const all = ['x', 'a', 'b', 'c'].map((name) => append(batcher, name));
  for (let i = 0; i < 3; i++) await flushes.finish();
  expect(flushes.streams()).toEqual([['x'], ['a', 'b'], ['c']]);
  await Promise.all(all);
});

it('a flush that fails rejects its own batch only, and the next batch still leaves', async () => {
  const batcher = new AppendBatcher(flushes.flush, { maxInFlight: 1, maxBatchSize: 10 });
  const first = append(batcher, 'a');
  const second = append(batcher, 'b');
  const failure = new Error('flush failed');
  await flushes.finish(failure);
  await expect(first).rejects.toBe(failure);
  await flushes.finish();
  await expect(second).resolves.toMatchObject({ position: 'b' });
});

it('drain resolves once everything enqueued so far has been flushed', async () => {
  const batcher = new AppendBatcher(flushes.flush, { maxInFlight: 1, maxBatchSize: 10 });
  await batcher.drain();
  void append(batcher, 'a');
  void append(batcher, 'b');
  let drained = false;
  const draining = batcher.drain().then(() => (drained = true));
  await flushes.finish();
  expect(drained).toBe(false);
  await flushes.finish();
  await draining;
  expect(drained).toBe(true);
});
