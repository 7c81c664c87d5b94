import { collectDefaultMetrics, Registry } from 'prom-client';

/** The service's one registry: its own metrics and Node's process metrics (`process_*`, `nodejs_*`). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Every metric of the service's own is named with this. */
export const PREFIX = 'conversation_log_';

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
