import { Command } from '@nestjs/cqrs';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { type StreamAssistantDeltaBody } from './stream-assistant-delta.dto.js';

export class StreamAssistantDelta extends Command<CommandOutcome> {
  constructor(
    readonly projectId: string,
    readonly messageId: string,
    readonly body: StreamAssistantDeltaBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
