import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG } from '../../config/config.module.js';
import { type Config } from '../../config/config.js';
import { isConnectionFailure } from '../../database/pg-errors.js';
import {
  EVENT_STORE,
  type EventStore,
  EventStoreUnavailableError,
} from '../../event-store/event-store.port.js';
import { projectIdOf, streamNameOf } from '../../conversation/conversation-stream.js';
import { LiveChannel } from './live-channel.js';
import { erased, LiveSubscriber, shutDown, type SseSink } from './live-subscriber.js';
import { ErasedProjects } from '../../erasure/erased-projects.js';
import { type ChangeSource, MessageChangeReader } from './message-changes.js';

export const LIVE_PAGE_SIZE = 500;

/**
 * Live message changes for many clients at little cost: one channel per project with clients,
 * woken by the store's append watch, one per instance (so appends made by any instance reach
 * every instance),
 * reading each new page of the log once and fanning it out.
 */
@Injectable()
export class LiveService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveService.name);
  private readonly channels = new Map<string, LiveChannel>();
  private readonly watch: { close(): void };
  private readonly stopErasures: () => void;
  private stopped = false;

  constructor(
    @Inject(MessageChangeReader) private readonly source: ChangeSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: Pick<Config, 'sseHeartbeatMs'>,
    private readonly erasedProjects: ErasedProjects,
  ) {
    this.stopErasures = erasedProjects.onErased((projectIds) => void this.endErased(projectIds));
    this.watch = store.watchAppends((streamNames) => this.notified(streamNames), {
      onError: (error, retryInMs) =>
        this.logger.warn(
          `event store subscription failed, resubscribing in ${retryInMs} ms: ${error instanceof Error ? error.message : String(error)}`,
        ),
      onRecovered: () => this.logger.log('event store subscription restored; live channels catch up'),
    });
  }

  /** Where a client that does not resume starts: the stream's current revision. */
  async currentRevision(projectId: string): Promise<number> {
    return Number(await this.store.streamRevision(streamNameOf(projectId)));
  }

  /**
   * Sends `sink` every change after revision `after`, then live ones; returns the unsubscribe.
   * `current` is a revision the stream is known to have reached (a new channel starts there).
   */
  subscribe(projectId: string, after: number, current: number, sink: SseSink): () => void {
    if (this.stopped) {
      shutDown(sink);
      return () => undefined;
    }
    // Erased between the route's check and now: its notification has come and gone.
    if (this.erasedProjects.isKnownErased(projectId)) {
      erased(sink);
      return () => undefined;
    }
    let channel = this.channels.get(projectId);
    if (!channel) {
      channel = new LiveChannel(projectId, current, this.source, {
        pageSize: LIVE_PAGE_SIZE,
        heartbeatMs: this.config.sseHeartbeatMs,
        onError: (project, error) => this.failed(project, error),
      });
      this.channels.set(projectId, channel);
    }
    const owner = channel;
    const subscriber = new LiveSubscriber(sink, after, () => owner.pump());
    owner.add(subscriber);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (owner.remove(subscriber)) {
        owner.close();
        if (this.channels.get(projectId) === owner) this.channels.delete(projectId);
      }
    };
  }

  stats(): { channels: number; subscribers: number } {
    let subscribers = 0;
    for (const channel of this.channels.values()) subscribers += channel.subscribers.size;
    return { channels: this.channels.size, subscribers };
  }

  /**
   * Open streams would keep the HTTP server from closing: each is told to reconnect elsewhere and
   * ended, before the server stops.
   */
  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.watch.close();
    this.stopErasures();
    for (const channel of [...this.channels.values()]) {
      channel.close();
      for (const subscriber of channel.subscribers) subscriber.shutDown();
    }
    this.channels.clear();
  }

  private notified(streamNames: readonly string[] | '*'): void {
    if (streamNames === '*') {
      for (const channel of this.channels.values()) channel.wake();
      return;
    }
    for (const streamName of streamNames) {
      const projectId = projectIdOf(streamName);
      if (projectId !== undefined) this.channels.get(projectId)?.wake();
    }
  }

  /**
   * Ends the streams of erased projects, on every instance. After a lost notification (`'*'`) the
   * tombstones say which of the open channels' projects were erased meanwhile.
   */
  private async endErased(projectIds: readonly string[] | '*'): Promise<void> {
    let ended = projectIds;
    if (ended === '*') {
      try {
        ended = [...(await this.erasedProjects.erasedAmong([...this.channels.keys()]))];
      } catch (error) {
        this.failed('*', error);
        return;
      }
    }
    for (const projectId of ended) {
      const channel = this.channels.get(projectId);
      if (!channel) continue;
      this.channels.delete(projectId);
      channel.close();
      for (const subscriber of channel.subscribers) subscriber.erased();
    }
  }

  /** The channel retries by itself: an unreachable store is a warning, anything else a bug. */
  private failed(projectId: string, error: unknown): void {
    if (error instanceof EventStoreUnavailableError || isConnectionFailure(error)) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`live changes of project ${projectId} could not be read (retrying): ${message}`);
      return;
    }
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.logger.error(`live changes of project ${projectId} could not be read (retrying): ${stack}`);
  }
}
