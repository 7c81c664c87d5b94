import { curveShape, describeShape } from '../bench/support/curve.js';

const point = (connections: number, rate: number, p99Ms: number) => ({ connections, rate, p99Ms });

describe('scaling curve shape', () => {
  const curve = [
    point(1, 800, 2),
    point(8, 4_000, 3.9),
    point(32, 5_100, 7.5),
    point(128, 4_900, 30),
    point(512, 4_500, 140),
  ];

  it('peaks at the highest rate and bends where p99 first more than doubles', () => {
    expect(curveShape(curve)).toEqual({ peakAt: 32, peakRate: 5_100, bendAt: 128 });
    expect(describeShape(curve)).toBe('peak 5,100/s at 32; p99 bends at 128 (7.5 → 30.0 ms)');
  });

  it('exactly doubling is not yet the bend', () => {
    expect(curveShape([point(1, 10, 2), point(8, 20, 4), point(32, 30, 8.1)]).bendAt).toBe(32);
  });

  it('says so when p99 never doubles', () => {
    const flat = [point(1, 100, 5), point(8, 700, 6)];
    expect(curveShape(flat).bendAt).toBeUndefined();
    expect(describeShape(flat)).toBe('peak 700/s at 8; p99 never doubles between points');
  });
});
