import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CommandOutcome, ConversationCommandProcessor } from '../conversation.processor.js';
import { normalizeId, replyIdFor, uuidv7 } from '../ids.js';
import { StartTurn } from './start-turn.command.js';

@CommandHandler(StartTurn)
export class StartTurnHandler implements ICommandHandler<StartTurn> {
  constructor(private readonly processor: ConversationCommandProcessor) {}

  execute({ projectId, body, context }: StartTurn): Promise<CommandOutcome> {
    const userId = normalizeId(body.user.id) ?? uuidv7();
    return this.processor.execute(
      {
        type: 'StartTurn',
        projectId,
        user: {
          messageId: userId,
          content: body.user.content,
          imageUrls: body.user.imageUrls ?? [],
          metadata: body.user.metadata ?? {},
        },
        assistant: {
          messageId: normalizeId(body.assistant?.id) ?? replyIdFor(userId),
          content: body.assistant?.content ?? '',
          metadata: body.assistant?.metadata ?? {},
        },
        createdBy: context.userId,
        now: new Date().toISOString(),
      },
      context,
    );
  }
}
