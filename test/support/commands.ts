import { randomUUID } from 'node:crypto';
import type { PostUserMessage } from '../../src/conversation/conversation.decide.js';
import type { CommandContext } from '../../src/conversation/conversation.processor.js';

/** A user message with no images, as the processor receives it. */
export function postUserMessage(
  projectId: string,
  messageId: string,
  content: string,
  now = new Date().toISOString(),
): PostUserMessage {
  return {
    type: 'PostUserMessage',
    projectId,
    messageId,
    content,
    imageUrls: [],
    createdBy: null,
    metadata: {},
    now,
  };
}

/** A command's context: its own causation id, no request, no user. */
export const commandContext = (precondition?: CommandContext['precondition']): CommandContext => ({
  precondition,
  correlationId: null,
  causationId: randomUUID(),
  userId: null,
});
