import { Command } from '@nestjs/cqrs';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { type PostUserMessageBody } from './post-user-message.dto.js';

export class PostUserMessage extends Command<CommandOutcome> {
  constructor(
    readonly projectId: string,
    readonly body: PostUserMessageBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
