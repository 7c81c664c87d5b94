import type { ConversationEvent } from './conversation.events.js';
import { type ConversationState, type MessageEntry, nextEntry } from './conversation.js';

/**
 * A conversation's decision state, folded in place (evolve's overlays are for the short life of
 * one batch of commands; a long stream is folded here without copying).
 */
export class CachedConversation {
  revision = -1;
  bytes = 0;
  private readonly messages = new Map<string, MessageEntry>();

  apply(event: ConversationEvent, revision: number): void {
    const previous = this.messages.get(event.data.messageId);
    const entry = nextEntry(previous, event, revision);
    this.messages.set(entry.message.id, entry);
    this.bytes += sizeOf(entry) - (previous ? sizeOf(previous) : 0);
    this.revision = revision;
  }

  state(): ConversationState {
    return { revision: this.revision, messages: this.messages };
  }
}

/** Rough heap cost of an entry: strings are UTF-16, plus object overhead. */
function sizeOf(entry: MessageEntry): number {
  const { message } = entry;
  const shared = entry.reservedContent === message.content ? 0 : (entry.reservedContent?.length ?? 0);
  const urls = message.imageUrls.reduce((sum, url) => sum + url.length, 0);
  return 2 * (message.content.length + shared + urls) + 400;
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
      this.entries.set(streamName, entry);
    }
    return entry;
  }

  /** Call after changing an entry (or adding one) so its size counts. */
  track(streamName: string, entry: CachedConversation, previousBytes: number): void {
    if (this.entries.get(streamName) === entry) {
      this.totalBytes += entry.bytes - previousBytes;
    } else {
      this.remove(streamName);
      this.entries.set(streamName, entry);
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
