/**
 * Conversation data (history, messages, the event log, live streams): a browser or client may keep
 * it (never a shared cache: it is someone's conversation) and must revalidate it before each use,
 * which the `ETag`s make cheap (`304`).
 */
export const CONVERSATION_CACHE_CONTROL = 'private, no-cache';
