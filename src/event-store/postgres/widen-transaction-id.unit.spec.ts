import { widenTransactionId } from './postgres-event-store.js';

const EPOCH = 2n ** 32n;

describe('widenTransactionId', () => {
  it('places an id in flight in the epoch of the next id', () => {
    expect(widenTransactionId(100n, 150n)).toBe(100n);
    expect(widenTransactionId(100n, 3n * EPOCH + 150n)).toBe(3n * EPOCH + 100n);
  });

  it('places it in the previous epoch when the counter wrapped since', () => {
    expect(widenTransactionId(EPOCH - 10n, 3n * EPOCH + 5n)).toBe(3n * EPOCH - 10n);
  });

  it('treats an id assigned after the next id was read as the next id', () => {
    expect(widenTransactionId(160n, 150n)).toBe(150n);
    expect(widenTransactionId(5n, 2n * EPOCH - 3n)).toBe(2n * EPOCH - 3n);
  });
});
