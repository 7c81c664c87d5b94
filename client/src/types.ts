import type { components } from './generated/api.js';

type Schemas = components['schemas'];

export type Message = Schemas['Message'];
export type MessagePage = Schemas['MessagePage'];
export type Turn = Schemas['Turn'];
export type LogEvent = Schemas['Event'];
export type EventPage = Schemas['EventPage'];
export type Problem = Schemas['Problem'];
export type ProjectSummary = Schemas['ProjectSummary'];
export type ProjectPage = Schemas['ProjectPage'];
export type ProjectionStatus = Schemas['ProjectionStatus'];
/** The generation a rebuild builds (the one under way, when one already is). */
export type RebuildRequested = Schemas['RebuildRequested'];
export type FieldError = Schemas['FieldError'];
/** The answer to a streamed piece: the message's content length after it. */
export type StreamedDelta = Schemas['StreamedDelta'];

/** Request bodies as a caller writes them: fields the server defaults may be left out. */
export type PostMessageInput = Schemas['PostUserMessageBody'];
export type ReserveAssistantInput = Partial<Schemas['ReserveAssistantMessageBody']>;
export type CompleteInput = Pick<Schemas['CompleteAssistantMessageBody'], 'content'> &
  Partial<Pick<Schemas['CompleteAssistantMessageBody'], 'status'>>;
/** A piece of a reply: `offset` is the content length before it (what makes a retry safe). */
export type StreamInput = Schemas['StreamAssistantDeltaBody'];
/** A streamed piece of a message, as the live stream sends it. */
export interface MessageDelta {
  id: string;
  offset: number;
  delta: string;
}
export interface TurnInput {
  user: PostMessageInput;
  assistant?: ReserveAssistantInput & { replyTo?: never };
}
