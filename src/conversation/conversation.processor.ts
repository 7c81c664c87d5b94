import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { CONFIG } from '../config/config.module.js';
import { type Config } from '../config/config.js';
import {
  EVENT_STORE,
  type EventStore,
  EventStoreUnavailableError,
  type ExpectedRevision,
  type NewEvent,
  StreamErasedError,
  WrongExpectedVersionError,
} from '../event-store/event-store.port.js';
import {
  type AppendOutcome,
  COMMAND_METRICS,
  type CommandMetrics,
  NO_COMMAND_METRICS,
} from './command-metrics.js';
import { streamNameOf } from './conversation-stream.js';
import { CachedConversation, ConversationStateCache } from './conversation-state.cache.js';
import { type ConversationState, evolve } from './conversation.js';
import { type ConversationCommand, decide } from './conversation.decide.js';
import { type ConversationEvent, CURRENT_SCHEMA_VERSION } from './conversation.events.js';
import { upcast } from './conversation.upcast.js';
import { uuidv7 } from './ids.js';
import { type Message } from './message.js';

/** `If-Match: "<revision>"` pins a revision; `If-None-Match: *` requires a new conversation. */
export type Precondition = { revision: number } | { noStream: true };

export interface CommandContext {
  precondition?: Precondition;
  /** The request that issued the command. */
  correlationId: string | null;
  /** This command: every event it appends names it as their cause. */
  causationId: string;
  userId: string | null;
}

export interface CommandOutcome {
  /** Whether this command's own events were appended (false for a retry of a stored command). */
  appended: boolean;
  /** Stream revision after this command's events (or where it found the stream, for a retry). */
  revision: number;
  /** The messages the command names, as the command left them. */
  messages: Message[];
}

export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(readonly currentRevision: number) {
    super(`The conversation is at revision ${currentRevision}`);
  }
}

/** Conflicts with other service instances kept winning; nothing was appended. */
export class ConcurrencyExhaustedError extends Error {
  override readonly name = 'ConcurrencyExhaustedError';
}

interface Job {
  command: ConversationCommand;
  context: CommandContext;
  resolve(outcome: CommandOutcome): void;
  reject(error: unknown): void;
}

interface Decision {
  job: Job;
  error?: unknown;
  messages: Message[];
  /** Whether this command's own events are in the append. */
  appends: boolean;
  /** The stream revision after this command: after its own events, or where it found the stream. */
  revision: number;
}

/**
 * How long a command keeps retrying a race it loses to other instances. Bounded in time, not in
 * attempts: under sustained contention that the store can serve, every command gets through.
 */
const RETRY_FOR_MS = 10_000;
const MAX_COMMANDS_PER_APPEND = 128;
const READ_PAGE = 1000;

/**
 * The one command path: load (cached) state → decide → append with the expected revision.
 * Commands for one stream are serialized in this process and those that queued up meanwhile
 * leave in one append, so a busy conversation does not turn into conflicts. Races with other
 * instances are caught by the expected revision and retried.
 */
@Injectable()
export class ConversationCommandProcessor {
  private readonly queues = new Map<string, Job[]>();
  private readonly cache: ConversationStateCache;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) config: Config,
    @Optional() @Inject(COMMAND_METRICS) private readonly metrics: CommandMetrics = NO_COMMAND_METRICS,
  ) {
    this.cache = new ConversationStateCache(config.stateCacheBytes);
  }

  execute(command: ConversationCommand, context: CommandContext): Promise<CommandOutcome> {
    const streamName = streamNameOf(command.projectId);
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(streamName);
      const job = { command, context, resolve, reject };
      if (queue) {
        queue.push(job);
      } else {
        this.queues.set(streamName, [job]);
        void this.drain(streamName);
      }
    });
  }

  private async drain(streamName: string): Promise<void> {
    const queue = this.queues.get(streamName) ?? [];
    while (queue.length > 0) {
      const jobs = queue.splice(0, MAX_COMMANDS_PER_APPEND);
      await this.process(streamName, jobs).catch((error: unknown) =>
        jobs.forEach((job) => job.reject(error)),
      );
    }
    this.queues.delete(streamName);
  }

  private async process(streamName: string, jobs: Job[]): Promise<void> {
    /** The revision at which the state was last read from the store (not merely cached). */
    let confirmed: number | undefined;
    const deadline = Date.now() + RETRY_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      let conversation = this.cache.get(streamName);
      if (!conversation) {
        conversation = await this.catchUp(streamName, new CachedConversation(streamName)).catch(
          nothingAppended,
        );
        confirmed = conversation.revision;
      }
      let { decisions, events } = decideAll(jobs, conversation.state());
      if (events.length === 0 && confirmed !== conversation.revision) {
        // Nothing to append means no expected-revision check: an error, a precondition failure or
        // a retry's answer decided from the cache alone may be stale, since another instance may
        // have appended. Catch up (only the newer events) and decide again.
        const cachedRevision = conversation.revision;
        await this.catchUp(streamName, conversation).catch(nothingAppended);
        confirmed = conversation.revision;
        if (conversation.revision !== cachedRevision)
          ({ decisions, events } = decideAll(jobs, conversation.state()));
      }
      if (events.length === 0) return settle(decisions, false);

      const expected: ExpectedRevision =
        conversation.revision < 0 ? 'no_stream' : BigInt(conversation.revision);
      try {
        await this.measured(decisions, () => this.appendOrFindOut(streamName, events, expected));
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          await this.catchUp(streamName, conversation).catch(nothingAppended);
          if (Date.now() >= deadline) {
            throw new ConcurrencyExhaustedError(
              `${streamName}: still conflicting after ${attempt} attempts in ${RETRY_FOR_MS} ms`,
            );
          }
          this.metrics.retry();
          await pause(attempt);
          continue;
        }
        // An erased stream refuses every command; its state is not kept for anyone.
        if (error instanceof StreamErasedError) {
          this.cache.remove(streamName);
          throw error;
        }
        // The store refused the append for a reason other than the connection: one command's
        // events are at fault, and the others of the group must not fail with it.
        if (jobs.length > 1 && !(error instanceof EventStoreUnavailableError))
          return this.isolate(streamName, jobs);
        throw error;
      }
      const before = conversation.bytes;
      for (const { event } of events) conversation.apply(event, conversation.revision + 1);
      this.cache.track(streamName, conversation, before);
      return settle(decisions, true);
    }
  }

  /** Reports the append's time, size (the commands whose events it carries) and outcome. */
  private async measured(decisions: Decision[], append: () => Promise<void>): Promise<void> {
    const commands = decisions.filter((decision) => decision.appends).length;
    const started = performance.now();
    let outcome: AppendOutcome = 'failed';
    try {
      await append();
      outcome = 'appended';
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) outcome = 'conflict';
      throw error;
    } finally {
      this.metrics.append(commands, (performance.now() - started) / 1000, outcome);
    }
  }

  /** Runs the commands again in two halves, in their order, each half failing on its own. */
  private async isolate(streamName: string, jobs: Job[]): Promise<void> {
    const half = Math.ceil(jobs.length / 2);
    for (const part of [jobs.slice(0, half), jobs.slice(half)]) {
      await this.process(streamName, part).catch((error: unknown) =>
        part.forEach((job) => job.reject(error)),
      );
    }
  }

  /**
   * A dropped connection leaves an append's outcome unknown: the stream says whether our first
   * event is there (appends are atomic), so the client hears what really happened.
   */
  private async appendOrFindOut(
    streamName: string,
    events: { event: ConversationEvent; job: Job }[],
    expected: ExpectedRevision,
  ): Promise<void> {
    const newEvents = events.map(({ event, job }) => toNewEvent(event, job.context));
    try {
      await this.store.append(streamName, newEvents, expected);
    } catch (error) {
      if (!(error instanceof EventStoreUnavailableError) || !error.outcomeUnknown) throw error;
      const from = expected === 'no_stream' ? 0n : (expected as bigint) + 1n;
      const [found] = await this.store
        .readStream(streamName, { fromRevision: from, maxCount: 1 })
        .catch(() => Promise.reject(error));
      if (found?.id !== newEvents[0]?.id) {
        throw new EventStoreUnavailableError('event store unreachable; nothing was appended', {
          cause: error,
          operation: 'append',
        });
      }
    }
  }

  /** Folds in what the store has beyond the cached revision; a failure drops the entry. */
  private async catchUp(streamName: string, conversation: CachedConversation): Promise<CachedConversation> {
    const before = conversation.bytes;
    try {
      for (;;) {
        const page = await this.store.readStream(streamName, {
          fromRevision: BigInt(conversation.revision + 1),
          maxCount: READ_PAGE,
        });
        for (const recorded of page) conversation.apply(upcast(recorded), Number(recorded.revision));
        if (page.length < READ_PAGE) break;
      }
    } catch (error) {
      this.cache.remove(streamName);
      throw error;
    }
    this.cache.track(streamName, conversation, before);
    return conversation;
  }
}

function decideAll(jobs: Job[], initial: ConversationState) {
  let state = initial;
  const decisions: Decision[] = [];
  const events: { event: ConversationEvent; job: Job }[] = [];
  for (const job of jobs) {
    const decided = decideOne(job, state);
    if ('error' in decided) {
      decisions.push({ job, error: decided.error, messages: [], appends: false, revision: state.revision });
      continue;
    }
    for (const event of decided.events) {
      state = evolve(state, event);
      events.push({ event, job });
    }
    const messages = messageIdsOf(job.command).map((id) => state.messages.get(id)?.message);
    decisions.push({
      job,
      messages: messages.filter((message) => message !== undefined),
      appends: decided.events.length > 0,
      revision: state.revision,
    });
  }
  return { decisions, events };
}

/**
 * A retry (nothing left to append: the same id and content are already stored) succeeds whatever
 * its precondition says, since the id makes it safe; any other command meets its precondition
 * before its domain errors are told.
 */
function decideOne(job: Job, state: ConversationState): { events: ConversationEvent[] } | { error: unknown } {
  let decided: { events: ConversationEvent[] } | { error: unknown };
  try {
    decided = { events: decide(job.command, state) };
  } catch (error) {
    decided = { error };
  }
  if ('events' in decided && decided.events.length === 0) return decided;
  try {
    checkPrecondition(job.context.precondition, state.revision);
  } catch (error) {
    return { error };
  }
  return decided;
}

/** Each command hears its own outcome, also when it shared an append with others. */
function settle(decisions: Decision[], appended: boolean): void {
  for (const { job, error, messages, appends, revision } of decisions) {
    if (error !== undefined) job.reject(error);
    else job.resolve({ appended: appended && appends, revision, messages });
  }
}

function checkPrecondition(precondition: Precondition | undefined, revision: number): void {
  if (!precondition) return;
  const expected = 'noStream' in precondition ? -1 : precondition.revision;
  if (revision !== expected) throw new PreconditionFailedError(revision);
}

function messageIdsOf(command: ConversationCommand): string[] {
  return command.type === 'StartTurn'
    ? [command.user.messageId, command.assistant.messageId]
    : [command.messageId];
}

function toNewEvent(event: ConversationEvent, context: CommandContext): NewEvent {
  return {
    id: uuidv7(),
    type: event.type,
    data: event.data,
    metadata: {
      correlationId: context.correlationId,
      causationId: context.causationId,
      userId: context.userId,
      schemaVersion: CURRENT_SCHEMA_VERSION,
    },
  };
}

/** A command that could not read its conversation appended nothing, and says so. */
function nothingAppended(error: unknown): never {
  if (!(error instanceof EventStoreUnavailableError) || error.operation === 'append') throw error;
  throw new EventStoreUnavailableError('event store unreachable; nothing was appended', {
    cause: error.cause,
    operation: 'append',
  });
}

function pause(attempt: number): Promise<void> {
  // Exponential backoff with full jitter, capped, so racing instances spread out rather than collide again.
  const ms = Math.random() * Math.min(100, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
