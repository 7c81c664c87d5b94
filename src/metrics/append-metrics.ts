import { Counter, Histogram, type Registry } from 'prom-client';
import { type AppendOutcome, type CommandMetrics } from '../conversation/command-metrics.js';
import { PREFIX } from './registry.js';

/** The command path's appends: their latency, how many commands share one, conflicts and retries. */
export function commandMetrics(registry: Registry): CommandMetrics {
  const registers = [registry];
  const latency = new Histogram({
    name: `${PREFIX}append_duration_seconds`,
    help: 'Duration of the appends of the command path, by outcome (appended, conflict, failed)',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const batch = new Histogram({
    name: `${PREFIX}append_batch_commands`,
    help: 'Commands whose events leave in one append (commands queued for one conversation share it)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers,
  });
  const conflicts = new Counter({
    name: `${PREFIX}append_conflicts_total`,
    help: 'Appends refused because another instance had moved the stream on (wrong expected version)',
    registers,
  });
  const retries = new Counter({
    name: `${PREFIX}append_retries_total`,
    help: 'Commands decided and appended again after losing a race to another instance',
    registers,
  });
  return {
    append(commands: number, seconds: number, outcome: AppendOutcome) {
      latency.observe({ outcome }, seconds);
      batch.observe(commands);
      if (outcome === 'conflict') conflicts.inc();
    },
    retry: () => retries.inc(),
  };
}
