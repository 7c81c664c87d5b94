import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CommandOutcome, ConversationCommandProcessor } from '../conversation.processor.js';
import { CompleteAssistantMessage } from './complete-assistant-message.command.js';

@CommandHandler(CompleteAssistantMessage)
export class CompleteAssistantMessageHandler implements ICommandHandler<CompleteAssistantMessage> {
  constructor(private readonly processor: ConversationCommandProcessor) {}

  execute({ projectId, messageId, body, context }: CompleteAssistantMessage): Promise<CommandOutcome> {
    return this.processor.execute(
      {
        type: 'CompleteAssistantMessage',
        projectId,
        messageId,
        content: body.content,
        status: body.status ?? 'success',
        metadata: body.metadata ?? {},
        now: new Date().toISOString(),
      },
      context,
    );
  }
}
