import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CommandOutcome, ConversationCommandProcessor } from '../conversation.processor.js';
import { normalizeId, uuidv7 } from '../ids.js';
import { PostUserMessage } from './post-user-message.command.js';

@CommandHandler(PostUserMessage)
export class PostUserMessageHandler implements ICommandHandler<PostUserMessage> {
  constructor(private readonly processor: ConversationCommandProcessor) {}

  execute({ projectId, body, context }: PostUserMessage): Promise<CommandOutcome> {
    return this.processor.execute(
      {
        type: 'PostUserMessage',
        projectId,
        messageId: normalizeId(body.id) ?? uuidv7(),
        content: body.content,
        imageUrls: body.imageUrls ?? [],
        createdBy: context.userId,
        metadata: body.metadata ?? {},
        now: new Date().toISOString(),
      },
      context,
    );
  }
}
