import pg from 'pg';
import { PROJECTOR_LOCK_CLASS } from '../../src/database/advisory-locks.js';
import { NOTIFY_PAYLOAD_LIMIT } from '../../src/database/notify.js';
import { isConnectionFailure, retryOnConflict } from '../../src/database/pg-errors.js';
import { beginWithFirstStatement } from './deferred-begin.js';
import {
  type EventStore,
  EventStoreUnavailableError,
  type ReadAllResult,
  type RecordedEvent,
} from '../../src/event-store/event-store.port.js';
import { PoisonEventError, type Projection } from '../projection.js';
import {
  CONTROL_CHANNEL,
  dropRetiredGeneration,
  ensureLiveGeneration,
  type Generation,
  isLockConflict,
  loadGenerations,
  PROJECTED_CHANNEL,
  requestRebuild,
} from './generations.js';

export interface ProjectorOptions {
  /** Events per transaction while following the log. */
  batchSize?: number;
  /** Events per transaction while building a new generation. */
  rebuildBatchSize?: number;
  /** Safety poll: how long the projector waits for a wake-up before it looks at the log anyway. */
  pollMs?: number;
  /** How often a standby tries to become the active projector. */
  standbyRetryMs?: number;
  /**
   * After a partial batch of at least `lingerAfter` events, how long to let more events gather
   * before the next one: under heavy load this turns many small transactions into fewer larger
   * ones, for a few ms of lag. A smaller batch means a light load: the projector waits for the
   * next append instead, and projects it as soon as it comes.
   */
  lingerMs?: number;
  lingerAfter?: number;
  /**
   * How long a switch-over or a drop of an old generation waits for a lock (a reader's transaction
   * holding the views or the tables) before it gives up and tries again later: every read that
   * arrives meanwhile queues behind it, so this is the most a reader is held up.
   */
  lockTimeoutMs?: number;
  /** Longest pause between two attempts at a switch-over or a drop (the pauses double up to it). */
  retryMaxMs?: number;
  log?: (level: 'log' | 'warn' | 'error', message: string) => void;
}

/** First pause after a switch-over or a drop met a lock; it doubles on each attempt after. */
const RETRY_FIRST_MS = 250;
/** A switch-over that has waited this long for readers is reported, and again at most this often. */
const WAITING_REPORT_MS = 30_000;

interface Attempt {
  attempts: number;
  /** Not before this time (ms since the epoch). */
  at: number;
}

/** How the append watch's trouble starts in the status's lastError. */
const SOURCE_ERROR = 'event store subscription';

class LostLeadershipError extends Error {}

/**
 * Moves a generation's checkpoint from where its projector left it (`$5`), and notifies `$6` on
 * `$7` when given; `moved` is 1, or the statement fails dividing by zero when the checkpoint was
 * elsewhere (so that a COMMIT sent after it in the same query never runs).
 */
const CHECKPOINT_SQL = `WITH moved AS (
     UPDATE projection_generations
        SET position = $3, events_applied = events_applied + $4, updated_at = now()
      WHERE name = $1 AND generation = $2 AND position IS NOT DISTINCT FROM $5
     RETURNING 1)
   SELECT 1 / count(*)::int AS moved,
          CASE WHEN $6::text IS NOT NULL AND count(*) = 1 THEN pg_notify($7, $6) END AS notified
     FROM moved`;
const DIVISION_BY_ZERO = '22012';

/**
 * Runs one projection: elects itself (a session advisory lock held on its own connection, so a
 * dead instance frees it), follows the global log from the stored checkpoint, and builds any
 * requested rebuild beside the live generation, then switches to it. Each batch and its
 * checkpoint commit in one transaction on the lock's connection.
 */
export class Projector {
  private running = false;
  private loop: Promise<void> | undefined;
  private client: pg.Client | undefined;
  private woken = false;
  /**
   * Per generation, its next page, already being read while the previous one is written. A
   * rebuild follows two generations in turn: each keeps its own page ahead.
   */
  private readonly ahead = new Map<
    number,
    { after: string | undefined; max: number; page: Promise<ReadAllResult> }
  >();
  /** A rebuild was requested since the generations were last read. */
  private controlled = false;
  /** Switch-overs and drops that met a lock, by `switch <generation>` / `drop <generation>`: when to try again. */
  private readonly postponed = new Map<string, Attempt>();
  private waitingReportedAt = 0;
  private wakeUp: (() => void) | undefined;
  /**
   * What the store's append watch last said, until it is written to the projection's status:
   * its error (a string) or its recovery (null).
   */
  private sourceNews: string | null | undefined;
  /** Whether this projector has cleared the failures it found (once, at its first lead). */
  private failuresRetried = false;
  private readonly options: Required<ProjectorOptions>;

  constructor(
    private readonly connectionString: string,
    private readonly store: EventStore,
    readonly projection: Projection,
    options: ProjectorOptions = {},
  ) {
    this.options = {
      batchSize: 1_000,
      rebuildBatchSize: 5_000,
      pollMs: 1_000,
      standbyRetryMs: 1_000,
      lingerMs: 5,
      lingerAfter: 16,
      lockTimeoutMs: 100,
      retryMaxMs: 5_000,
      log: () => undefined,
      ...options,
    };
  }

  get active(): boolean {
    return this.client !== undefined && this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.lead();
      } catch (error) {
        if (this.running) this.report(error);
      } finally {
        await this.client?.end().catch(() => undefined);
        this.client = undefined;
      }
      // A wake left by the connection that just ended (its error, a notification) must not cut
      // the pause short: the next attempt would follow at once, again and again.
      this.woken = false;
      if (this.running) await this.sleep(this.options.standbyRetryMs);
    }
  }

  /**
   * Why the loop stopped (it starts again after standbyRetryMs): a lost or refused connection or
   * a lost lead is a warning; anything else is a bug, logged with its stack.
   */
  private report(error: unknown): void {
    const name = this.projection.name;
    if (isConnectionFailure(error) || error instanceof EventStoreUnavailableError) {
      this.options.log(
        'warn',
        `${name}: projector stopped, database unreachable (retrying): ${describe(error)}`,
      );
    } else if (error instanceof LostLeadershipError) {
      this.options.log('warn', `${name}: projector stopped: ${describe(error)}`);
    } else {
      const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.options.log('error', `${name}: projector stopped by an unexpected error (retrying): ${stack}`);
    }
  }

  private async lead(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'projector' });
    let connectionError: unknown;
    client.on('error', (error) => {
      connectionError = error;
      this.wake();
    });
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
      [PROJECTOR_LOCK_CLASS, this.projection.name],
    );
    if (!rows[0]?.locked) {
      await client.end();
      return;
    }
    this.client = client;
    this.options.log('log', `${this.projection.name}: this instance is the active projector`);
    client.on('notification', (message) => {
      if (message.channel === CONTROL_CHANNEL) this.controlled = true;
      this.wake();
    });
    await client.query(`LISTEN ${CONTROL_CHANNEL}`);
    // The store says when it was appended to (on any instance); the read model's database says
    // when a rebuild is requested. A missed wake-up costs at most pollMs.
    this.sourceNews = null; // what a previous leader reported no longer holds
    const watch = this.store.watchAppends(() => this.wake(), {
      onError: (error, retryInMs) => {
        const message = `${SOURCE_ERROR} failed, resubscribing in ${retryInMs} ms: ${describe(error)}`;
        this.options.log(
          'warn',
          `${this.projection.name}: ${message} (projecting on the ${this.options.pollMs} ms poll meanwhile)`,
        );
        this.sourceNews = message;
        this.wake();
      },
      onRecovered: () => {
        this.options.log('log', `${this.projection.name}: event store subscription restored`);
        this.sourceNews = null;
        this.wake();
      },
    });
    try {
      await this.followLog(client, () => connectionError);
    } finally {
      watch.close();
    }
  }

  private async followLog(client: pg.Client, failure: () => unknown): Promise<void> {
    this.ahead.clear();
    this.postponed.clear();
    let state = await this.prepare(client);
    while (this.running) {
      const connectionError = failure();
      if (connectionError) throw connectionError;
      await this.reportSource(client);
      state = await this.reload(client, state);
      const progress = await this.step(client, state);
      if (progress === 'idle') await this.sleep(Math.min(this.options.pollMs, this.untilNextAttempt()));
      else if (progress === 'partial') await delay(this.options.lingerMs);
    }
  }

  /**
   * The append watch's trouble shows in the projection's status (lastError of the generations
   * that are not failed), and is cleared once it works again.
   */
  private async reportSource(client: pg.ClientBase): Promise<void> {
    const news = this.sourceNews;
    if (news === undefined) return;
    this.sourceNews = undefined;
    await client.query(
      `UPDATE projection_generations SET last_error = $2, updated_at = now()
        WHERE name = $1 AND state IN ('live', 'building') AND NOT failed
          AND ($2::text IS NOT NULL OR last_error LIKE $3)`,
      [this.projection.name, news, `${SOURCE_ERROR}%`],
    );
  }

  /** Makes sure a live generation exists and asks for a rebuild when the code's version moved on. */
  private async prepare(client: pg.ClientBase): Promise<Generation[]> {
    await ensureLiveGeneration(client, this.projection);
    // A failure is retried once per start of this projector (the code may have been fixed since),
    // not each time it leads again after a lost connection: the status would flap meanwhile.
    if (!this.failuresRetried) {
      this.failuresRetried = true;
      await client.query(`UPDATE projection_generations SET failed = false WHERE name = $1 AND failed`, [
        this.projection.name,
      ]);
    }
    const live = (await loadGenerations(client, this.projection.name)).find((g) => g.state === 'live');
    if (live && live.version !== this.projection.version) {
      this.options.log(
        'log',
        `${this.projection.name}: version ${live.version} → ${this.projection.version}, rebuilding`,
      );
      await requestRebuild(client, this.projection);
    }
    return loadGenerations(client, this.projection.name);
  }

  private async reload(client: pg.ClientBase, state: Generation[]): Promise<Generation[]> {
    // Cleared before reading, not before the step: the notification of a requested rebuild
    // that woke the sleep must lead to a reload, and one arriving from now on to the next.
    const controlled = this.controlled;
    this.controlled = false;
    this.woken = false;
    return controlled || state.some((g) => g.state === 'building')
      ? loadGenerations(client, this.projection.name)
      : state;
  }

  /**
   * One batch of the live generation and one of a build under way; a build caught up switches
   * over, and retired generations are dropped, each when no reader holds what it needs.
   */
  private async step(client: pg.ClientBase, generations: Generation[]): Promise<'idle' | 'partial' | 'full'> {
    let progress: 'idle' | 'partial' | 'full' = 'idle';
    const live = generations.find((g) => g.state === 'live');
    if (live && !live.failed) {
      const applied = await this.follow(client, live, this.options.batchSize);
      if (applied >= this.options.batchSize) progress = 'full';
      else if (applied >= this.options.lingerAfter) progress = 'partial';
    }
    // What is still to be done after a lock got in its way; anything else postponed is forgotten.
    const waiting = new Set<string>();
    const building = generations.find((g) => g.state === 'building');
    if (building && !building.failed) {
      const applied = await this.follow(client, building, this.options.rebuildBatchSize);
      const key = `switch ${building.generation}`;
      waiting.add(key); // the pause between attempts holds while the build follows new events
      if (applied > 0) progress = 'full';
      else if (live && this.due(key) && (await this.switchOver(client, live, building))) {
        waiting.delete(key);
        progress = 'full';
      }
    }
    for (const retired of generations.filter((g) => g.state === 'retired')) {
      const key = `drop ${retired.generation}`;
      if (!this.due(key)) {
        waiting.add(key);
      } else if (
        await dropRetiredGeneration(client, this.projection, retired.generation, this.options.lockTimeoutMs)
      ) {
        generations.splice(generations.indexOf(retired), 1);
        this.options.log('log', `${this.projection.name}: generation ${retired.generation} dropped`);
      } else {
        this.postpone(key);
        waiting.add(key);
      }
    }
    for (const key of this.postponed.keys()) if (!waiting.has(key)) this.postponed.delete(key);
    return progress;
  }

  /** Applies the next page of the log to a generation; returns how many events it read. */
  private async follow(client: pg.ClientBase, generation: Generation, max: number): Promise<number> {
    const page = await this.read(generation, max);
    if (page.events.length === 0) {
      // A store that filters the log on its server (EventStoreDB) moves the checkpoint past other
      // streams' events without returning them: keep it, or every poll would scan them again.
      if (page.checkpoint !== undefined && page.checkpoint !== (generation.position ?? undefined))
        await this.moveCheckpoint(client, generation, page.checkpoint);
      return 0;
    }
    // A full page means more is waiting: read the next one while this one is written.
    if (page.events.length === max) this.prefetch(generation, page.checkpoint, max);
    try {
      // A deadlock or serialization failure rolled the batch back whole: it is simply run again.
      await retryOnConflict(async () => {
        try {
          await this.commit(beginWithFirstStatement(client), generation, page.events, { andCommit: true });
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      await this.fail(client, generation, page.events, error);
      return 0;
    }
    return page.events.length;
  }

  private read(generation: Generation, max: number): Promise<ReadAllResult> {
    const after = generation.position ?? undefined;
    const ahead = this.ahead.get(generation.generation);
    this.ahead.delete(generation.generation);
    if (ahead && ahead.after === after && ahead.max === max) return ahead.page;
    return this.store.readAll({ after, maxCount: max });
  }

  private prefetch(generation: Generation, after: string | undefined, max: number): void {
    const page = this.store.readAll({ after, maxCount: max });
    page.catch(() => undefined); // a failed read ahead is read again, and fails, in the open
    this.ahead.set(generation.generation, { after, max, page });
  }

  /**
   * Applies events and moves the checkpoint, inside the caller's transaction; `andCommit` commits
   * it too, with the checkpoint in the same round trip.
   */
  private async commit(
    client: pg.ClientBase,
    generation: Generation,
    events: readonly RecordedEvent[],
    { andCommit = false } = {},
  ): Promise<void> {
    const changes = await this.projection.apply(client, events, generation.generation);
    const position = events.at(-1)?.position ?? generation.position;
    let notice: string | null = null;
    if (generation.state === 'live') {
      const payload = JSON.stringify(Object.fromEntries(changes.revisions));
      notice = payload.length < NOTIFY_PAYLOAD_LIMIT ? payload : '*';
    }
    await this.storeCheckpoint(client, generation, position, events.length, notice, andCommit);
    generation.position = position;
    generation.eventsApplied += events.length;
  }

  /** A checkpoint with no events to apply before it: only the position moves. */
  private async moveCheckpoint(
    client: pg.ClientBase,
    generation: Generation,
    position: string,
  ): Promise<void> {
    await this.storeCheckpoint(client, generation, position, 0);
    generation.position = position;
  }

  /**
   * Moves the stored checkpoint from where this projector last left it, or finds it lost the lead;
   * with `notice`, in the same statement, tells readers (PROJECTED_CHANNEL) what the transaction
   * projected. The notification leaves at commit, so a batch rolled back (the lead lost) tells nothing.
   *
   * With `andCommit`, the statement and the COMMIT go as one simple query, its values written in as
   * literals: one round trip fewer a batch. A checkpoint that did not move divides by zero, which
   * fails the statement, so the COMMIT after it never runs and the caller rolls back.
   */
  private async storeCheckpoint(
    client: pg.ClientBase,
    generation: Generation,
    position: string | null,
    applied: number,
    notice: string | null = null,
    andCommit = false,
  ): Promise<void> {
    const values = [
      this.projection.name,
      generation.generation,
      position,
      applied,
      generation.position,
      notice,
      PROJECTED_CHANNEL,
    ];
    let moved: number | undefined;
    try {
      if (andCommit) {
        const literal = (value: string | number | null): string =>
          value === null ? 'NULL' : typeof value === 'number' ? String(value) : client.escapeLiteral(value);
        const text = CHECKPOINT_SQL.replace(/\$(\d+)/g, (_, n: string) =>
          literal(values[Number(n) - 1] ?? null),
        );
        const [result] = (await client.query(`${text}; COMMIT`)) as unknown as pg.QueryResult<{
          moved: number;
        }>[];
        moved = result?.rows[0]?.moved;
      } else {
        moved = (await client.query<{ moved: number }>(CHECKPOINT_SQL, values)).rows[0]?.moved;
      }
    } catch (error) {
      if ((error as { code?: string }).code === DIVISION_BY_ZERO)
        throw new LostLeadershipError('the checkpoint moved under this projector');
      throw error;
    }
    if (moved !== 1) throw new LostLeadershipError('the checkpoint moved under this projector');
  }

  /** Keeps what precedes the poison event, then stops the generation with the reason. */
  private async fail(
    client: pg.ClientBase,
    generation: Generation,
    events: readonly RecordedEvent[],
    error: PoisonEventError,
  ): Promise<void> {
    const index = events.findIndex((event) => event.id === error.event.id);
    if (index > 0) {
      await client.query('BEGIN');
      await this.commit(client, generation, events.slice(0, index));
      await client.query('COMMIT');
    }
    await client.query(
      `UPDATE projection_generations SET failed = true, last_error = $3, updated_at = now()
        WHERE name = $1 AND generation = $2`,
      [this.projection.name, generation.generation, error.message],
    );
    generation.failed = true;
    this.options.log('error', `${this.projection.name}: projection failed at ${error.message}`);
  }

  /**
   * The new generation takes over in one transaction: it catches up to the head of the log,
   * the views move to it, and it becomes live; the old one is retired, its tables dropped later.
   * Queries see the old tables or the new ones. Moving the views needs them to itself, so every
   * lock is waited for only briefly (lockTimeoutMs): a switch queued behind a transaction that
   * holds the views would hold up every read after it. When it cannot have them, the old
   * generation stays live and the switch is tried again later. Returns whether it switched.
   */
  private async switchOver(client: pg.ClientBase, live: Generation, building: Generation): Promise<boolean> {
    const { name } = this.projection;
    const before = { position: building.position, eventsApplied: building.eventsApplied };
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.options.lockTimeoutMs))}`);
      await loadGenerations(client, name, true);
      for (;;) {
        const page = await this.store.readAll({ after: building.position ?? undefined, maxCount: 5_000 });
        if (page.events.length === 0) break;
        await this.commit(client, building, page.events);
      }
      await client.query(this.projection.activate(building.generation));
      await client.query(
        `UPDATE projection_generations SET state = 'retired', updated_at = now() WHERE name = $1 AND generation = $2`,
        [name, live.generation],
      );
      await client.query(
        `UPDATE projection_generations SET state = 'live', switch_waiting_since = NULL, updated_at = now()
          WHERE name = $1 AND generation = $2`,
        [name, building.generation],
      );
      await client.query('SELECT pg_notify($1, $2)', [PROJECTED_CHANNEL, '*']);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // What the catch-up applied was rolled back with it.
      building.position = before.position;
      building.eventsApplied = before.eventsApplied;
      if (!isLockConflict(error)) throw error;
      await this.switchWaits(client, live, building);
      return false;
    }
    const waited = building.switchWaitingSince;
    live.state = 'retired';
    building.state = 'live';
    building.switchWaitingSince = null;
    this.ahead.delete(live.generation);
    this.options.log(
      'log',
      `${name}: generation ${building.generation} is live` +
        (waited ? ` (its switch waited ${seconds(Date.now() - waited.getTime())} for readers)` : ''),
    );
    return true;
  }

  /** A switch-over met a lock: it is postponed, and the wait shows in the status and the log. */
  private async switchWaits(client: pg.ClientBase, live: Generation, building: Generation): Promise<void> {
    const { name } = this.projection;
    this.postpone(`switch ${building.generation}`);
    if (!building.switchWaitingSince) {
      const { rows } = await client.query<{ since: Date }>(
        `UPDATE projection_generations SET switch_waiting_since = coalesce(switch_waiting_since, now())
          WHERE name = $1 AND generation = $2 RETURNING switch_waiting_since AS since`,
        [name, building.generation],
      );
      building.switchWaitingSince = rows[0]?.since ?? new Date();
    }
    const now = Date.now();
    const waited = now - building.switchWaitingSince.getTime();
    if (waited < WAITING_REPORT_MS || now - this.waitingReportedAt < WAITING_REPORT_MS) return;
    this.waitingReportedAt = now;
    this.options.log(
      'warn',
      `${name}: generation ${building.generation} is built, but its switch-over has waited ` +
        `${seconds(waited)} for transactions that hold the read model ` +
        `(see pg_locks on its views); generation ${live.generation} stays live meanwhile, retrying`,
    );
  }

  /** Whether a postponed switch-over or drop may be tried now (or was never postponed). */
  private due(key: string): boolean {
    const attempt = this.postponed.get(key);
    return attempt === undefined || attempt.at <= Date.now();
  }

  /** The next attempt after a pause that doubles each time, up to retryMaxMs, with some jitter. */
  private postpone(key: string): void {
    const attempts = (this.postponed.get(key)?.attempts ?? 0) + 1;
    const pause = Math.min(this.options.retryMaxMs, RETRY_FIRST_MS * 2 ** Math.min(attempts - 1, 20));
    this.postponed.set(key, { attempts, at: Date.now() + pause * (0.8 + Math.random() * 0.4) });
  }

  /** How long until a postponed attempt is due; Infinity when none is. */
  private untilNextAttempt(): number {
    let next = Infinity;
    for (const { at } of this.postponed.values()) next = Math.min(next, at - Date.now());
    return Math.max(0, next);
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
