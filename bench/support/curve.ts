/** The shape of a throughput/latency curve over growing numbers of connections. */

/** The connection counts of the scaling scenario's curve. */
export const SCALING_CONNECTIONS = [1, 8, 32, 128, 512] as const;

export interface CurvePoint {
  connections: number;
  rate: number;
  p99Ms: number;
}

export interface CurveShape {
  /** Connections at the highest rate, and that rate. */
  peakAt: number;
  peakRate: number;
  /**
   * The first connection count whose p99 is more than twice the previous point's: past it, added
   * connections mostly queue. Undefined when p99 never doubles from one point to the next.
   */
  bendAt: number | undefined;
}

/** How much p99 must grow from one point to the next to count as the bend. */
const BEND_FACTOR = 2;

export function curveShape(points: readonly CurvePoint[]): CurveShape {
  if (points.length === 0) throw new Error('a curve needs at least one point');
  const peak = points.reduce((best, point) => (point.rate > best.rate ? point : best));
  const bend = points.find((point, index) => {
    const previous = points[index - 1];
    return previous !== undefined && point.p99Ms > BEND_FACTOR * previous.p99Ms;
  });
  return { peakAt: peak.connections, peakRate: peak.rate, bendAt: bend?.connections };
}

/** In words, for the report: "peak 5,120/s at 32; p99 bends at 128 (9.1 → 31.0 ms)". */
export function describeShape(points: readonly CurvePoint[]): string {
  const shape = curveShape(points);
  const peak = `peak ${Math.round(shape.peakRate).toLocaleString('en-US')}/s at ${shape.peakAt}`;
  const index = points.findIndex((point) => point.connections === shape.bendAt);
  const before = points[index - 1];
  const at = points[index];
  if (before === undefined || at === undefined) return `${peak}; p99 never doubles between points`;
  return `${peak}; p99 bends at ${at.connections} (${before.p99Ms.toFixed(1)} → ${at.p99Ms.toFixed(1)} ms)`;
}
