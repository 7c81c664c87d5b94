import { type Projection } from '../../projection.js';
import { type Generation, loadGenerations, requestRebuild } from '../../projector/generations.js';
import { Projector } from '../../projector/projector.js';
import { hasActiveProjector, LAG_CAP } from '../../projector/status.js';
import { type Cli, Interrupted, pause } from '../context.js';
import { count, duration } from '../format.js';
import { Progress } from '../progress.js';

const POLL_MS = 250;

/**
 * Requests a rebuild and stays until the new generation is live. The build is the active
 * projector's work: the service's when it runs, else one started here (the election keeps it
 * to one, whichever starts first).
 */
export async function rebuild(cli: Cli, projection: Projection): Promise<number> {
  const target = await request(cli, projection);
  cli.note(
    `${projection.name}: rebuilding into generation ${target.generation} (version ${target.version}) ` +
      `beside the live one`,
  );
  const progress = new Progress(cli.stderr, `${projection.name} generation ${target.generation}`);
  const startedAt = Date.now();
  const appliedBefore = target.eventsApplied;
  let projector: Projector | undefined;
  let watching = false;
  let waitingNoted = false;
  try {
    for (;;) {
      if (cli.signal.aborted) throw new Interrupted('interrupted');
      const generations = await loadGenerations(cli.db.pool, projection.name);
      const live = generations.find((g) => g.state === 'live');
      const build = generations.find((g) => g.generation === target.generation);
      if (live && live.generation >= target.generation) {
        progress.clear();
        const applied = (build ?? live).eventsApplied - appliedBefore;
        cli.print(
          `${projection.name}: generation ${live.generation} (version ${live.version}) is live; ` +
            `${count(applied)} events applied in ${duration(Date.now() - startedAt)}`,
        );
        return 0;
      }
      if (!build) throw new Error(`generation ${target.generation} was removed before it went live`);
      if (build.failed) {
        progress.clear();
        throw new Error(`the rebuild stopped: ${build.lastError ?? 'failed'}`);
      }
      if (!projector && !(await hasActiveProjector(cli.db.pool, projection.name))) {
        progress.log(`${projection.name}: no projector is running; building in this process`);
        projector = new Projector(cli.db.url, cli.db.store, projection, {
          log: (level, message) => {
            if (level !== 'log') progress.log(`${level}: ${message}`);
          },
        });
        projector.start();
      } else if (!projector && !watching) {
        progress.log(`${projection.name}: the running service's projector is building it; watching`);
        watching = true;
      }
      if (build.switchWaitingSince && !waitingNoted) {
        progress.log(
          `${projection.name}: generation ${target.generation} is built; its switch-over waits for ` +
            'transactions that hold the read model (see pg_locks) and is retried until they end',
        );
        waitingNoted = true;
      }
      const remaining = await cli.db.store.countAfter(build.position ?? undefined, LAG_CAP);
      progress.update({ done: build.eventsApplied, remaining });
      await pause(POLL_MS, cli.signal);
    }
  } catch (error) {
    progress.clear();
    if (error instanceof Interrupted) {
      cli.note(
        `${projection.name}: interrupted; generation ${target.generation} stays requested and is built ` +
          'by the next projector that runs (the service, or this command again)',
      );
    }
    throw error;
  } finally {
    await projector?.stop();
  }
}

/** Requests the rebuild; a build that had failed is retried, as a projector's start would. */
async function request(cli: Cli, projection: Projection): Promise<Generation> {
  const client = await cli.db.pool.connect();
  try {
    const generation = await requestRebuild(client, projection);
    if (generation.failed) {
      await client.query(
        `UPDATE projection_generations SET failed = false WHERE name = $1 AND generation = $2`,
        [projection.name, generation.generation],
      );
      generation.failed = false;
    }
    return generation;
  } finally {
    client.release();
  }
}
