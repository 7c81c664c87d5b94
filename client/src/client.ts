import { live, type LiveChange, type LiveOptions } from './live.js';
import { type Answer, Transport, type TransportOptions } from './transport.js';
import type {
  CompleteInput,
  EventPage,
  LogEvent,
  Message,
  MessagePage,
  PostMessageInput,
  ProjectionStatus,
  ProjectPage,
  RebuildRequested,
  ReserveAssistantInput,
  StreamedDelta,
  StreamInput,
  Turn,
  TurnInput,
} from './types.js';
import { uuidv7 } from './uuid.js';

export type ClientOptions = TransportOptions;

export interface CommandOptions {
  /** Apply only if the stream is exactly at this revision, else `PreconditionFailedError`. */
  ifMatch?: number;
  signal?: AbortSignal;
}

export interface HistoryOptions {
  /** Pages of messages with a lower sequence, newest first; without `before` or `after`, from the newest. */
  before?: number;
  /** Pages of messages with a higher sequence, oldest first. */
  after?: number;
  /** Messages a page (1..200, default 50). */
  limit?: number;
  signal?: AbortSignal;
}

export interface ProjectsOptions {
  /** Projects a page (1..200, default 50). */
  limit?: number;
  /** A page's `nextCursor`: the page after it. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface EventsOptions {
  fromRevision?: number;
  /** Events a page (1..1000). */
  limit?: number;
  signal?: AbortSignal;
}

/**
 * The conversation-log service over `fetch`. Commands carry ids chosen here, so their retries are
 * safe; reads of a project wait for this client's own last write to it (`minRevision`).
 */
export class ConversationClient {
  readonly transport: Transport;
  /** Per project: the stream revision of this client's last write, which its reads must reflect. */
  private readonly written = new Map<string, number>();

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
  }

  postMessage(projectId: string, input: PostMessageInput, options: CommandOptions = {}): Promise<Message> {
    return this.command<Message>(projectId, 'messages', { ...input, id: input.id ?? uuidv7() }, options);
  }

  reserveAssistant(
    projectId: string,
    input: ReserveAssistantInput = {},
    options: CommandOptions = {},
  ): Promise<Message> {
    return this.command<Message>(
      projectId,
      'assistant-messages',
      { ...input, id: input.id ?? uuidv7() },
      options,
    );
  }

  complete(
    projectId: string,
    messageId: string,
    input: CompleteInput,
    options: CommandOptions = {},
  ): Promise<Message> {
    const path = `assistant-messages/${encodeURIComponent(messageId)}/complete`;
    return this.command<Message>(projectId, path, input, options);
  }

  /**
   * Appends the next piece of a pending reply. A retry with the same `offset` and `delta` appends
   * nothing; an offset that is not the current length throws `StaleOffsetError` with `currentLength`.
   */
  stream(
    projectId: string,
    messageId: string,
    input: StreamInput,
    options: CommandOptions = {},
  ): Promise<StreamedDelta> {
    const path = `assistant-messages/${encodeURIComponent(messageId)}/stream`;
    return this.command<StreamedDelta>(projectId, path, input, options);
  }

  turn(projectId: string, input: TurnInput, options: CommandOptions = {}): Promise<Turn> {
    const body = {
      user: { ...input.user, id: input.user.id ?? uuidv7() },
      assistant: { ...input.assistant, id: input.assistant?.id ?? uuidv7() },
    };
    return this.command<Turn>(projectId, 'turns', body, options);
  }

  /** Pages of the conversation, each in ascending sequence order, until there are no more. */
  async *history(projectId: string, options: HistoryOptions = {}): AsyncGenerator<MessagePage> {
    const forward = options.after !== undefined;
    let cursor = forward ? options.after : options.before;
    for (;;) {
      const query = { limit: options.limit, [forward ? 'after' : 'before']: cursor };
      const page = await this.read<MessagePage>(projectId, 'messages', query, options.signal);
      yield page;
      const edge = forward ? page.data.at(-1) : page.data[0];
      if (!page.hasMore || !edge) return;
      cursor = edge.sequence;
    }
  }

  /** One message; with `minRevision`, as of that stream revision at least (the read waits for it). */
  message(
    projectId: string,
    messageId: string,
    options: { signal?: AbortSignal; minRevision?: number } = {},
  ): Promise<Message> {
    const path = `messages/${encodeURIComponent(messageId)}`;
    return this.read<Message>(projectId, path, { minRevision: options.minRevision }, options.signal);
  }

  /** The raw event log, event by event, read page by page from the event store. */
  async *events(projectId: string, options: EventsOptions = {}): AsyncGenerator<LogEvent> {
    let from: number | null = options.fromRevision ?? 0;
    while (from !== null) {
      const page: EventPage = await this.eventPage(projectId, { ...options, fromRevision: from });
      yield* page.data;
      from = page.nextRevision;
    }
  }

  /** One page of the raw event log from `fromRevision` (default 0); `nextRevision` is null at its end. */
  async eventPage(projectId: string, options: EventsOptions = {}): Promise<EventPage> {
    const query = queryString({ fromRevision: options.fromRevision ?? 0, limit: options.limit });
    const path = `${projectPath(projectId)}/events${query}`;
    return (await this.transport.request<EventPage>('GET', path, { signal: options.signal })).body;
  }

  /** The conversations this client may see, most recently active first, a page at a time. */
  async projects(options: ProjectsOptions = {}): Promise<ProjectPage> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const path = `/v1/projects${query.toString() ? `?${query}` : ''}`;
    return (await this.transport.request<ProjectPage>('GET', path, { signal: options.signal })).body;
  }

  /** Every projection's status (needs the scope `conversations:admin` with authentication on). */
  async projections(signal?: AbortSignal): Promise<ProjectionStatus[]> {
    return (await this.transport.request<ProjectionStatus[]>('GET', '/v1/projections', { signal })).body;
  }

  /** Starts rebuilding a projection into a new generation; a rebuild under way is named instead. */
  async rebuildProjection(name: string, signal?: AbortSignal): Promise<RebuildRequested> {
    const path = `/v1/projections/${encodeURIComponent(name)}/rebuild`;
    return (await this.transport.request<RebuildRequested>('POST', path, { signal })).body;
  }

  /** The project's changes as they happen, resumed across reconnects: see `live`. */
  live(projectId: string, options: LiveOptions = {}): AsyncGenerator<LiveChange> {
    return live(this.transport, projectPath(projectId), options);
  }

  private async command<T>(
    projectId: string,
    path: string,
    body: unknown,
    options: CommandOptions,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    const answer = await this.transport.request<T>('POST', `${projectPath(projectId)}/${path}`, {
      body,
      headers,
      signal: options.signal,
    });
    this.noteWrite(projectId, answer);
    return answer.body;
  }

  private async read<T>(
    projectId: string,
    path: string,
    query: Record<string, number | undefined>,
    signal?: AbortSignal,
  ): Promise<T> {
    const written = this.written.get(projectId);
    const minRevision =
      written === undefined ? query.minRevision : Math.max(written, query.minRevision ?? written);
    const url = `${projectPath(projectId)}/${path}${queryString({ ...query, minRevision })}`;
    return (await this.transport.request<T>('GET', url, { signal })).body;
  }

  private noteWrite(projectId: string, answer: Answer<unknown>): void {
    const revision = Number(/^(?:W\/)?"(-?\d+)"$/.exec(answer.headers.get('etag') ?? '')?.[1]);
    if (Number.isInteger(revision))
      this.written.set(projectId, Math.max(revision, this.written.get(projectId) ?? -1));
  }
}

function projectPath(projectId: string): string {
  return `/v1/projects/${encodeURIComponent(projectId)}`;
}

function queryString(query: Record<string, number | undefined>): string {
  const entries = Object.entries(query).filter((entry): entry is [string, number] => entry[1] !== undefined);
  return entries.length
    ? `?${new URLSearchParams(entries.map(([key, value]): [string, string] => [key, String(value)]))}`
    : '';
}
