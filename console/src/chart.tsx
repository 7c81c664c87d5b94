/** One sample of a projection, taken by the console as it polls. */
export interface Sample {
  at: number;
  lag: number;
  /** Events the projector had applied: to the generation served, and to a rebuild under way. */
  applied: number;
  /** Events applied per second since the sample before; null for the first sample and after a switch-over. */
  rate: number | null;
}

const WIDTH = 320;
const HEIGHT = 80;

/** The last minutes of lag and events/s as two lines, each scaled to its own maximum. */
export function SampleChart({
  samples,
  windowMs,
  name,
}: {
  samples: Sample[];
  windowMs: number;
  name: string;
}) {
  const now = samples.at(-1)?.at ?? 0;
  const x = (at: number) => WIDTH - ((now - at) / windowMs) * WIDTH;
  const line = (value: (sample: Sample) => number | null) => {
    const points = samples.filter((sample) => value(sample) !== null);
    const max = Math.max(1, ...points.map((sample) => value(sample)!));
    return {
      max,
      path: points
        .map(
          (sample) =>
            `${x(sample.at).toFixed(1)},${(HEIGHT - (value(sample)! / max) * (HEIGHT - 4)).toFixed(1)}`,
        )
        .join(' '),
    };
  };
  const lag = line((sample) => sample.lag);
  const rate = line((sample) => sample.rate);
  const latest = samples.at(-1);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`${name}: lag and events per second over the last ${Math.round(windowMs / 60_000)} minutes`}
      >
        <rect class="chart-frame" x="0" y="0" width={WIDTH} height={HEIGHT} />
        <polyline class="chart-lag" points={lag.path} />
        <polyline class="chart-rate" points={rate.path} />
      </svg>
      <figcaption>
        <span class="legend-lag">
          lag {latest?.lag ?? '—'} (max {lag.max})
        </span>{' '}
        <span class="legend-rate">
          events/s {latest?.rate == null ? '—' : Math.round(latest.rate)} (max {Math.round(rate.max)})
        </span>
      </figcaption>
    </figure>
  );
}
