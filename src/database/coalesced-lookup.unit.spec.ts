import { CoalescedLookup } from './coalesced-lookup.js';

/** A lookup whose queries the test answers by hand, recording what each asked. */
function manualLookup(table: ReadonlySet<string>) {
  const queries: { ids: readonly string[]; answer(): void; fail(error: Error): void }[] = [];
  const lookup = new CoalescedLookup(
    (ids) =>
      new Promise((resolve, reject) => {
        queries.push({
          ids,
          answer: () => resolve(new Set(ids.filter((id) => table.has(id)))),
          fail: reject,
        });
      }),
  );
  return { lookup, queries };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescedLookup', () => {
  it('sends a question at once when idle', async () => {
    const { lookup, queries } = manualLookup(new Set(['a']));
    const answer = lookup.has('a');
    expect(queries.map((query) => query.ids)).toEqual([['a']]);
    queries[0]?.answer();
    await expect(answer).resolves.toBe(true);
  });

  it('gathers the questions asked during a query into the next one, never into the one under way', async () => {
    const { lookup, queries } = manualLookup(new Set(['b', 'x']));
    const first = lookup.has('a');
    const during = [lookup.has('b'), lookup.has('c'), lookup.has('b'), lookup.has('a')];
    expect(queries).toHaveLength(1);
    queries[0]?.answer();
    await expect(first).resolves.toBe(false);
    await settle();
    expect(queries.map((query) => query.ids)).toEqual([['a'], ['b', 'c', 'a']]);
    queries[1]?.answer();
    await expect(Promise.all(during)).resolves.toEqual([true, false, true, false]);
  });

  it('fails every question of a failed query, and goes on with the next', async () => {
    const { lookup, queries } = manualLookup(new Set(['c']));
    const first = lookup.has('a');
    const second = [lookup.has('b'), lookup.has('b')];
    queries[0]?.answer();
    await first;
    await settle();
    queries[1]?.fail(new Error('connection lost'));
    await expect(Promise.all(second)).rejects.toThrow('connection lost');
    await expect(second[1]).rejects.toThrow('connection lost');
    const third = lookup.has('c');
    await settle();
    queries[2]?.answer();
    await expect(third).resolves.toBe(true);
  });
});
