import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CommandOutcome, ConversationCommandProcessor } from '../conversation.processor.js';
import { StreamAssistantDelta } from './stream-assistant-delta.command.js';

@CommandHandler(StreamAssistantDelta)
export class StreamAssistantDeltaHandler implements ICommandHandler<StreamAssistantDelta> {
  constructor(private readonly processor: ConversationCommandProcessor) {}

  execute({ projectId, messageId, body, context }: StreamAssistantDelta): Promise<CommandOutcome> {
    return this.processor.execute(
      { type: 'StreamAssistantDelta', projectId, messageId, offset: body.offset, delta: body.delta },
      context,
    );
  }
}
