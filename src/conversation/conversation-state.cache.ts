import { projectIdOf, streamNameOf } from './conversation-stream.js';
import type { ConversationEvent } from './conversation.events.js';
import { type ConversationState, type MessageEntry, nextEntry } from './conversation.js';
import { type Message } from './message.js';

/**
 * A conversation's decision state, folded in place (evolve's overlays are for the short life of
 * one batch of commands; a long stream is folded here without copying).
 *
 * A settled message (a user message, a finished reply) is kept packed: its entry's values as one
 * JSON array, a string of one byte a character, where the entry as objects is a dozen heap
 * objects of pointers. It is unpacked only when a command names that message again. A reply being
 * streamed stays an object: it changes with every piece, and packing it each time would make a
 * reply's cost grow with the square of its length.
 */
export class CachedConversation {
  revision = -1;
  bytes = 0;
  // The first message in fields and the others in a map made for the second: a cache of many
  // conversations holds mostly short ones, and a map is the largest part of a one-message one.
  private firstId: string | undefined;
  private first: MessageEntry | string | undefined;
  private others: Map<string, MessageEntry | string> | undefined;

  /** The conversation's stream, a copy the cache also keys it by: packed entries leave its project out. */
  readonly streamName: string;

  constructor(streamName: string) {
    this.streamName = copied(streamName);
  }

  apply(event: ConversationEvent, revision: number): void {
    const kept = this.kept(event.data.messageId);
    const entry = nextEntry(
      kept === undefined ? undefined : this.unpack(event.data.messageId, kept),
      event,
      revision,
    );
    const packable =
      entry.message.status !== 'pending' && streamNameOf(entry.message.projectId) === this.streamName;
    const stored = packable ? pack(entry) : entry;
    this.keep(entry.message.id, stored);
    this.bytes += sizeOf(stored) - (kept === undefined ? 0 : sizeOf(kept));
    this.revision = revision;
  }

  state(): ConversationState {
    return {
      revision: this.revision,
      messages: {
        get: (messageId) => {
          const kept = this.kept(messageId);
          return kept === undefined ? undefined : this.unpack(messageId, kept);
        },
      },
    };
  }

  private unpack(messageId: string, kept: MessageEntry | string): MessageEntry {
    return typeof kept === 'string' ? unpack(kept, messageId, projectIdOf(this.streamName) ?? '') : kept;
  }

  private kept(messageId: string): MessageEntry | string | undefined {
    return messageId === this.firstId ? this.first : this.others?.get(messageId);
  }

  /**
   * A new id is kept as a copy: one the service made (uuidv7) is a string of pieces of others,
   * which it would hold alive, several times its own size.
   */
  private keep(messageId: string, stored: MessageEntry | string): void {
    if (this.firstId === undefined || this.firstId === messageId) {
      this.firstId ??= copied(messageId);
      this.first = stored;
    } else if (this.others?.has(messageId)) {
      this.others.set(messageId, stored);
    } else {
      (this.others ??= new Map()).set(copied(messageId), stored);
    }
  }
}

/**
 * Every field of Message but the two its conversation knows (the compiler checks none is
 * missing), in the order pack writes them: the id is what the entry is found by, and the project
 * is the conversation's.
 */
const FIELDS = Object.keys({
  sequence: true,
  role: true,
  kind: true,
  status: true,
  content: true,
  imageUrls: true,
  replyTo: true,
  createdAt: true,
  updatedAt: true,
  createdBy: true,
  revision: true,
  metadata: true,
} satisfies Record<Exclude<keyof Message, 'id' | 'projectId'>, true>) as (keyof Message)[];

/**
 * The string alone, sharing nothing with a larger one (a slice of a request's URL, a string made of
 * pieces): exactly as long as its text.
 */
function copied(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function pack(entry: MessageEntry): string {
  const values: unknown[] = FIELDS.map((field) => entry.message[field]);
  values.push(entry.reservedContent);
  // JSON.stringify's result keeps the slack of the buffer it was built in (a third more, measured);
  // a copy is exactly as long as its text.
  return copied(JSON.stringify(values));
}

function unpack(packed: string, id: string, projectId: string): MessageEntry {
  const values = JSON.parse(packed) as unknown[];
  const message = {
    id,
    projectId,
    ...Object.fromEntries(FIELDS.map((field, i) => [field, values[i]])),
  } as Message;
  return { message, reservedContent: values[FIELDS.length] as string | null };
}

/**
 * Rough heap cost: a packed entry's text (two bytes a character when it is not all Latin-1) and
 * its map slot; an entry as objects, its strings and a dozen objects.
 */
function sizeOf(kept: MessageEntry | string): number {
  if (typeof kept === 'string') return 2 * kept.length + 60;
  const { message } = kept;
  const shared = kept.reservedContent === message.content ? 0 : (kept.reservedContent?.length ?? 0);
  const urls = message.imageUrls.reduce((sum, url) => sum + url.length, 0);
  return 2 * (message.content.length + shared + urls + JSON.stringify(message.metadata).length) + 1000;
}

/** The entry's own copy of its name when it is the name, so that the key holds nothing else alive. */
function keyOf(streamName: string, entry: CachedConversation): string {
  return entry.streamName === streamName ? entry.streamName : streamName;
}

/** Least recently used conversations are dropped once the total passes the byte budget. */
export class ConversationStateCache {
  private readonly entries = new Map<string, CachedConversation>();
  private totalBytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get(streamName: string): CachedConversation | undefined {
    const entry = this.entries.get(streamName);
    if (entry) {
      this.entries.delete(streamName);
      this.entries.set(keyOf(streamName, entry), entry);
    }
    return entry;
  }

  /** Call after changing an entry (or adding one) so its size counts. */
  track(streamName: string, entry: CachedConversation, previousBytes: number): void {
    if (this.entries.get(streamName) === entry) {
      this.totalBytes += entry.bytes - previousBytes;
    } else {
      this.remove(streamName);
      this.entries.set(keyOf(streamName, entry), entry);
      this.totalBytes += entry.bytes;
    }
    for (const [name, oldest] of this.entries) {
      if (this.totalBytes <= this.budgetBytes || oldest === entry) break;
      this.remove(name);
    }
  }

  remove(streamName: string): void {
    const entry = this.entries.get(streamName);
    if (!entry) return;
    this.entries.delete(streamName);
    this.totalBytes -= entry.bytes;
  }

  get size(): number {
    return this.entries.size;
  }
}
