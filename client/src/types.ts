import type { components } from './generated/api.js';

type Schemas = components['schemas'];

export type Message = Schemas['Message'];
export type MessagePage = Schemas['MessagePage'];
export type Turn = Schemas['Turn'];
export type LogEvent = Schemas['Event'];
export type EventPage = Schemas['EventPage'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];

/** Request bodies as a caller writes them: fields the server defaults may be left out. */
export type PostMessageInput = Schemas['PostUserMessageBody'];
export type ReserveAssistantInput = Partial<Schemas['ReserveAssistantMessageBody']>;
export type CompleteInput = Pick<Schemas['CompleteAssistantMessageBody'], 'content'> &
  Partial<Pick<Schemas['CompleteAssistantMessageBody'], 'status'>>;
export interface TurnInput {
  user: PostMessageInput;
  assistant?: ReserveAssistantInput & { replyTo?: never };
}
