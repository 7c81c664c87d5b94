import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CommandOutcome, ConversationCommandProcessor } from '../conversation.processor.js';
import { normalizeId, uuidv7 } from '../ids.js';
import { ReserveAssistantMessage } from './reserve-assistant-message.command.js';

@CommandHandler(ReserveAssistantMessage)
export class ReserveAssistantMessageHandler implements ICommandHandler<ReserveAssistantMessage> {
  constructor(private readonly processor: ConversationCommandProcessor) {}

  execute({ projectId, body, context }: ReserveAssistantMessage): Promise<CommandOutcome> {
    return this.processor.execute(
      {
        type: 'ReserveAssistantMessage',
        projectId,
        messageId: normalizeId(body.id) ?? uuidv7(),
        content: body.content ?? '',
        replyTo: normalizeId(body.replyTo) ?? null,
        createdBy: context.userId,
        metadata: body.metadata ?? {},
        now: new Date().toISOString(),
      },
      context,
    );
  }
}
