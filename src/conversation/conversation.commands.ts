import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type ConversationCommand } from './conversation.decide.js';
import {
  type CommandContext,
  type CommandOutcome,
  ConversationCommandProcessor,
} from './conversation.processor.js';

/**
 * The CommandBus carries every conversation command to the one command path; the domain
 * command (PostUserMessage, ReserveAssistantMessage, ...) names the use case.
 */
export class ExecuteConversationCommand extends Command<CommandOutcome> {
  constructor(
    readonly command: ConversationCommand,
    readonly context: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ExecuteConversationCommand)
export class ExecuteConversationCommandHandler implements ICommandHandler<ExecuteConversationCommand> {
  constructor(private readonly processor: ConversationCommandProcessor) {}

  execute({ command, context }: ExecuteConversationCommand): Promise<CommandOutcome> {
    return this.processor.execute(command, context);
  }
}
