import { projectIdOf, streamNameOf } from '../../../src/conversation/conversation-stream.js';
import { upcast } from '../../../src/conversation/conversation.upcast.js';
import { applyToMessage, type Message } from '../../../src/conversation/message.js';
import type { EventStore, RecordedEvent } from '../../../src/event-store/event-store.port.js';
import { MessageDigests, messageDigest } from './digest.js';

const PAGE = 5_000;

/** What the read model should hold at a checkpoint, in digests so that memory stays small. */
export interface ExpectedModel {
  /** Digest of every message. */
  messages: MessageDigests;
  /** The revision every project's rows should reflect. */
  projects: Map<string, number>;
  /** Events of the log read, up to and with the checkpoint. */
  events: number;
  /** Events the projection could not have applied. */
  problems: string[];
}

type Folded = { model: ExpectedModel; reached: 'checkpoint' | 'end' };

/**
 * Folds the global log, up to and including the event at `checkpoint`, with the same functions
 * the projection uses (upcast, applyToMessage). Only assistant messages awaiting their
 * completion are kept whole, with the content streamed so far.
 *
 * The checkpoint's own event may have been erased (positions are opaque, so "past it" cannot be
 * compared): the fold then stops before the first event that follows the checkpoint, and when
 * none did, at the end of the log, unless one has followed since, when it starts again.
 */
export async function foldLog(
  store: EventStore,
  checkpoint: string | null,
  onPage: (events: number) => void,
  stopIfInterrupted: () => void,
): Promise<ExpectedModel> {
  if (checkpoint === null) return emptyModel();
  for (;;) {
    const boundary = await firstAfter(store, checkpoint);
    const { model, reached } = await foldUpTo(store, checkpoint, boundary, onPage, stopIfInterrupted);
    if (reached === 'checkpoint' || (await firstAfter(store, checkpoint)) === undefined) return model;
  }
}

function emptyModel(): ExpectedModel {
  return { messages: new MessageDigests(), projects: new Map(), events: 0, problems: [] };
}

/** The id of the first event after the position, if any. */
async function firstAfter(store: EventStore, position: string): Promise<string | undefined> {
  return (await store.readAll({ after: position, maxCount: 1 })).events[0]?.id;
}

/** Folds until the checkpoint's event (with it), or the boundary event (without it), or the end. */
async function foldUpTo(
  store: EventStore,
  checkpoint: string,
  boundary: string | undefined,
  onPage: (events: number) => void,
  stopIfInterrupted: () => void,
): Promise<Folded> {
  const model = emptyModel();
  const pending = new Map<string, Message>();
  let after: string | undefined;
  for (;;) {
    stopIfInterrupted();
    const page = await store.readAll({ after, maxCount: PAGE });
    if (page.events.length === 0) return { model, reached: 'end' };
    for (const event of page.events) {
      if (event.id === boundary) return { model, reached: 'checkpoint' };
      model.events++;
      fold(model, pending, event);
      if (event.position === checkpoint) return { model, reached: 'checkpoint' };
    }
    after = page.events.at(-1)?.position;
    onPage(model.events);
  }
}

function fold(model: ExpectedModel, pending: Map<string, Message>, recorded: RecordedEvent): void {
  const projectId = projectIdOf(recorded.streamName);
  if (projectId === undefined) return;
  const revision = Number(recorded.revision);
  const where = `${recorded.streamName}@${revision}`;
  let event;
  try {
    event = upcast(recorded);
    if (event.data.projectId !== projectId) throw new Error(`data.projectId is not ${projectId}`);
  } catch (error) {
    model.problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  model.projects.set(projectId, revision);
  const id = `${projectId}/${event.data.messageId.toLowerCase()}`;
  if (event.type === 'AssistantCompleted' || event.type === 'AssistantDeltaAppended') {
    const reserved = pending.get(id);
    if (!reserved) {
      model.problems.push(`${where}: changes ${event.data.messageId}, which awaits no completion`);
      return;
    }
    let changed: Message;
    try {
      changed = applyToMessage(reserved, event, revision);
    } catch (error) {
      model.problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (event.type === 'AssistantCompleted') pending.delete(id);
    else pending.set(id, changed);
    model.messages.set(projectId, changed.sequence, messageDigest(changed));
    return;
  }
  const message = applyToMessage(undefined, event, revision);
  model.messages.set(projectId, message.sequence, messageDigest(message));
  if (message.role === 'assistant') pending.set(id, message);
}

/**
 * The one message at `sequence` as the log has it at `revision`, from the project's stream:
 * the event that created it and whatever later event completed it.
 */
export async function expectedMessage(
  store: EventStore,
  projectId: string,
  sequence: number,
  revision: number,
): Promise<Message | undefined> {
  const streamName = streamNameOf(projectId);
  let message: Message | undefined;
  let next = BigInt(sequence);
  while (next <= BigInt(revision)) {
    const events = await store.readStream(streamName, { fromRevision: next, maxCount: PAGE });
    for (const recorded of events) {
      if (recorded.revision > BigInt(revision)) return message;
      const event = upcast(recorded);
      if (!message) message = applyToMessage(undefined, event, Number(recorded.revision));
      else if (
        (event.type === 'AssistantCompleted' || event.type === 'AssistantDeltaAppended') &&
        event.data.messageId.toLowerCase() === message.id.toLowerCase()
      )
        message = applyToMessage(message, event, Number(recorded.revision));
    }
    if (events.length < PAGE) break;
    next = (events.at(-1)?.revision ?? next) + 1n;
  }
  return message;
}
