import { Command } from '@nestjs/cqrs';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { type ReserveAssistantMessageBody } from './reserve-assistant-message.dto.js';

export class ReserveAssistantMessage extends Command<CommandOutcome> {
  constructor(
    readonly projectId: string,
    readonly body: ReserveAssistantMessageBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
