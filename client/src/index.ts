export { ConversationClient } from './client.js';
export type {
  ClientOptions,
  CommandOptions,
  EventsOptions,
  HistoryOptions,
  ProjectsOptions,
} from './client.js';
export * from './errors.js';
export type { LiveChange, LiveOptions } from './live.js';
export type * from './types.js';
export { uuidv7 } from './uuid.js';
export { watchConversation } from './store.js';
export type { ConversationStore, WatchedMessage, WatchOptions } from './store.js';
