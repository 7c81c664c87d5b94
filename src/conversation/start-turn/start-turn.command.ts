import { Command } from '@nestjs/cqrs';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { type StartTurnBody } from './start-turn.dto.js';

export class StartTurn extends Command<CommandOutcome> {
  constructor(
    readonly projectId: string,
    readonly body: StartTurnBody,
    readonly context: CommandContext,
  ) {
    super();
  }
}
