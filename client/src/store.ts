import type { ConversationClient } from './client.js';
import type { LiveChange } from './live.js';
import type { Message, MessageDelta, PostMessageInput } from './types.js';
import { uuidv7 } from './uuid.js';

/** A message as the store shows it: `optimistic` until the server has confirmed it. */
export type WatchedMessage = Message & { optimistic?: true };

export interface ConversationStore {
  /** The conversation in sequence order (optimistic messages last); a new array after every change. */
  getSnapshot(): readonly WatchedMessage[];
  /** Called after every change; returns the unsubscribe function (as `useSyncExternalStore` expects). */
  subscribe(listener: () => void): () => void;
  /** Shows the message at once, then sends it; the server's answer or the live stream confirms it. */
  postMessage(input: PostMessageInput): Promise<Message>;
  /** Resolves once the latest page is loaded; rejects if it cannot be. */
  readonly ready: Promise<void>;
  /** True once the project was erased: the list is then empty and stays so. */
  readonly erased: boolean;
  /** Stops following the conversation. */
  close(): void;
}

export interface WatchOptions {
  /** Messages of the first page (default 50). */
  limit?: number;
  signal?: AbortSignal;
}

/**
 * The conversation of one project as a list ordered by `sequence`: the latest page, then every
 * change from the revision that page reflects. A message is replaced only by a newer revision of
 * itself, so replays after a reconnect and answers that race the stream change nothing twice.
 */
export function watchConversation(
  client: ConversationClient,
  projectId: string,
  options: WatchOptions = {},
): ConversationStore {
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const confirmed = new Map<string, Message>();
  const optimistic = new Map<string, WatchedMessage>();
  const listeners = new Set<() => void>();
  let snapshot: readonly WatchedMessage[] = [];
  let erased = false;

  const publish = () => {
    const ordered = [...confirmed.values()].sort((a, b) => a.sequence - b.sequence);
    snapshot = [...ordered, ...optimistic.values()];
    listeners.forEach((listener) => listener());
  };

  const confirm = (message: Message) => {
    const known = confirmed.get(message.id);
    if (known && known.revision >= message.revision) return;
    confirmed.set(message.id, message);
    optimistic.delete(message.id);
    publish();
  };

  /** Per message, the revision a read from the service must reach, while one is under way. */
  const refetching = new Map<string, number>();

  /**
   * Reads the message as of `revision` at least, and reads again while later gaps ask for more.
   * A failed read is left to the next snapshot: until then the store shows less, never wrong text.
   */
  const refetch = async (id: string, revision: number) => {
    const wanted = refetching.get(id);
    refetching.set(id, Math.max(revision, wanted ?? revision));
    if (wanted !== undefined) return;
    try {
      for (let reached = -1; reached < refetching.get(id)!;) {
        const minRevision = refetching.get(id)!;
        confirm(await client.message(projectId, id, { minRevision, signal: abort.signal }));
        reached = minRevision;
      }
    } catch {
      // the live stream's next change of this message brings it up to date
    } finally {
      refetching.delete(id);
    }
  };

  /**
   * A streamed piece is appended only where it continues the content shown; one shown already is
   * skipped; after a gap (a piece the store never saw) the message is read rather than guessed.
   */
  const applyDelta = (revision: number, delta: MessageDelta) => {
    const known = confirmed.get(delta.id);
    if (known && known.revision >= revision) return;
    if (known?.content.length === delta.offset) {
      confirmed.set(delta.id, { ...known, content: known.content + delta.delta, revision });
      return publish();
    }
    if (known && isShown(known.content, delta)) return;
    void refetch(delta.id, revision);
  };

  const apply = (change: LiveChange) => {
    if (change.type === 'message.delta') return applyDelta(change.revision, change.delta);
    if (change.type !== 'project.erased') return confirm(change.message);
    erased = true;
    confirmed.clear();
    optimistic.clear();
    publish();
  };

  const follow = async () => {
    const pages = client.history(projectId, { limit: options.limit, signal: abort.signal });
    const first = await pages.next();
    await pages.return(undefined);
    const page = first.done ? undefined : first.value;
    page?.data.forEach(confirm);
    return page?.revision ?? -1;
  };

  const ready = follow().then((fromRevision) => {
    void (async () => {
      // Ends by itself on erasure or abort; any other failure was retried inside `live` until then.
      for await (const change of client.live(projectId, { fromRevision, signal: abort.signal }))
        apply(change);
    })().catch(() => {});
  });
  // A caller that never awaits `ready` must not see an unhandled rejection.
  ready.catch(() => {});

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async postMessage(input) {
      const id = input.id ?? uuidv7();
      optimistic.set(id, localMessage(projectId, id, input));
      publish();
      try {
        const message = await client.postMessage(projectId, { ...input, id }, { signal: abort.signal });
        confirm(message);
        return message;
      } catch (error) {
        optimistic.delete(id);
        publish();
        throw error;
      }
    },
    ready,
    get erased() {
      return erased;
    },
    close: () => abort.abort(),
  };
}

/** True when the content already holds this piece at its offset (a replay of one applied). */
function isShown(content: string, { offset, delta }: MessageDelta): boolean {
  return offset + delta.length <= content.length && content.startsWith(delta, offset);
}

/** How the user's own message looks until the server gives it its sequence. */
function localMessage(projectId: string, id: string, input: PostMessageInput): WatchedMessage {
  return {
    id,
    projectId,
    sequence: Number.POSITIVE_INFINITY,
    role: 'user',
    kind: 'message',
    status: 'success',
    content: input.content,
    imageUrls: input.imageUrls ?? [],
    replyTo: null,
    createdAt: new Date().toISOString(),
    updatedAt: null,
    createdBy: null,
    revision: -1,
    metadata: input.metadata ?? {},
    optimistic: true,
  };
}
