import { loadConfig } from '../../src/config/config.js';
import { POOL_SIZE, rawInsertLoad, startRawInsertServer } from '../baselines/http-raw-insert.js';
import type { LoadSummary } from '../load/client.js';
import { type CurvePoint, describeShape, SCALING_CONNECTIONS } from '../support/curve.js';
import { PRODUCTION_ENV, startService } from '../support/service.js';
import { type Bench, type BenchContext, type BenchResult, skipped } from '../support/types.js';
import { serviceLoad } from './http-load.js';

interface Curve {
  id: 'many' | 'raw';
  label: string;
  unit: string;
  loads: { connections: number; load: LoadSummary }[];
}

/**
 * append-many and http-raw-insert, each with the very load of its own scenario, at 1 to 512
 * connections on one service and one baseline server: a short phase per point, the two taking
 * turns at each point so that drift weighs on both alike.
 */
export const scaling: Bench = {
  name: 'scaling',
  async run(context): Promise<BenchResult[]> {
    const what = `append-many and http-raw-insert at ${SCALING_CONNECTIONS.join(', ')} connections`;
    const service = await startService(context, 'scaling');
    if (typeof service === 'string') return [skipped('scaling', 'scaling', what, service)];
    const raw = await startRawInsertServer(context, 'scaling_raw').catch(async (error: unknown) => {
      await service.stop();
      throw error;
    });
    const curves = {
      many: { id: 'many', label: 'append-many', unit: 'appends/s', loads: [] } as Curve,
      raw: { id: 'raw', label: 'http-raw-insert', unit: 'req/s', loads: [] } as Curve,
    };
    try {
      const phase = phaseOf(context);
      const project = `scaling-${Date.now().toString(36)}`;
      for (const connections of SCALING_CONNECTIONS) {
        const rawLoad = await rawInsertLoad(raw.baseUrl, connections, phase.durationSec, phase.warmupSec);
        curves.raw.loads.push({ connections, load: rawLoad });
        const manyLoad = await serviceLoad(
          'messages-many',
          service,
          `${project}-${connections}`,
          connections,
          phase,
        );
        curves.many.loads.push({ connections, load: manyLoad });
        context.log(
          `scaling ×${connections}: ${Math.round(manyLoad.rate)} appends/s, ${Math.round(rawLoad.rate)} req/s raw`,
        );
      }
      const died = service.died();
      return [
        summary(what, curves, died, phase),
        ...[curves.raw, curves.many].flatMap((curve) =>
          curve.loads.map((point) => pointResult(curve, point)),
        ),
      ];
    } finally {
      await Promise.all([service.stop(), raw.stop()]);
    }
  },
};

/** A short phase per point, after a third of it of warm-up. */
function phaseOf(context: BenchContext): { durationSec: number; warmupSec: number } {
  const durationSec = context.options.scalingDurationSec;
  return { durationSec, warmupSec: durationSec / 3 };
}

function pointResult(curve: Curve, { connections, load }: Curve['loads'][number]): BenchResult {
  const extra: BenchResult['extra'] = { ok: load.ok };
  if (load.non2xx + load.errors + load.timeouts > 0)
    Object.assign(extra, { non2xx: load.non2xx, errors: load.errors, timeouts: load.timeouts });
  return {
    id: `scaling-${curve.id}-${connections}`,
    name: `scaling: ${curve.label} ×${connections}`,
    what: `${curve.label}'s load, ${connections} connection${connections === 1 ? '' : 's'}`,
    unit: curve.unit,
    rate: load.rate,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    extra,
  };
}

/**
 * Where each curve peaks and bends, and the limits that could cap the curve instead of the
 * service's CPU, as the service runs them.
 */
function summary(
  what: string,
  curves: Record<Curve['id'], Curve>,
  died: string | undefined,
  phase: { durationSec: number; warmupSec: number },
): BenchResult {
  const config = loadConfig({ ...process.env, ...PRODUCTION_ENV });
  const points = (curve: Curve): CurvePoint[] =>
    curve.loads.map(({ connections, load }) => ({ connections, rate: load.rate, p99Ms: load.p99Ms }));
  const extra: BenchResult['extra'] = {
    appendMany: describeShape(points(curves.many)),
    httpRawInsert: describeShape(points(curves.raw)),
    phaseSec: phase.durationSec,
    databasePoolSize: config.databasePoolSize,
    appendConcurrency: config.appendConcurrency,
    rateLimitCommands: config.rateLimitCommands,
    maxConnections: config.maxConnections,
    rawPoolSize: POOL_SIZE,
  };
  if (died) extra.serviceDied = died;
  return { id: 'scaling', name: 'scaling (curve)', what, extra };
}
