/**
 * The load generator, run as its own process so that it does not share a CPU queue with the
 * parent. Receives one LoadJob over IPC, answers one LoadSummary, exits.
 */
import autocannon from 'autocannon';
import { type Ack, isLoadJob, type LoadJob, type LoadSummary } from './client.js';
import { percentile } from '../support/stats.js';
import { requestsFor } from './requests.js';

async function run(job: LoadJob): Promise<LoadSummary> {
  const target = new URL(job.baseUrl);
  if (target.hostname !== '127.0.0.1') throw new Error(`load only targets 127.0.0.1, not ${target.hostname}`);
  const acks: Ack[] = [];
  // autocannon's own histogram has whole milliseconds; these keep the fractions.
  const latenciesMs: number[] = [];
  let clients = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.baseUrl,
        connections: job.connections,
        duration: job.durationSec,
        amount: job.amount,
        maxConnectionRequests: job.maxPerConnection,
        pipelining: 1,
        timeout: 10,
        requests: [{ method: 'GET', path: '/' }],
        setupClient: (client) => client.setRequests(requestsFor(job, clients++, acks)),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const statusCodes: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
        resolve({
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSec: result.duration,
          rate: result.duration > 0 ? result['2xx'] / result.duration : 0,
          p50Ms: percentile(latenciesMs, 50) ?? result.latency.p50,
          p99Ms: percentile(latenciesMs, 99) ?? result.latency.p99,
          statusCodes,
          acks,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => latenciesMs.push(ms));
  });
}

process.once('message', (message: unknown) => {
  if (!isLoadJob(message)) {
    console.error('load worker: not a load job', message);
    process.exit(2);
  }
  run(message).then(
    (summary) => process.send?.(summary, () => process.exit(0)),
    (error: unknown) => {
      console.error('load worker failed:', error);
      process.exit(1);
    },
  );
});

// The parent went away: stop loading its service.
process.once('disconnect', () => process.exit(1));
