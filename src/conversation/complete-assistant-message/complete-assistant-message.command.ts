import { Command } from '@nestjs/cqrs';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { type CompleteAssistantMessageBody } from './complete-assistant-message.dto.js';

export class CompleteAssistantMessage extends Command<CommandOutcome> {
  constructor(
    readonly projectId: string,
    readonly messageId: string,
    readonly body: CompleteAssistantMessageBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
