import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ReadConversationEventsHandler } from './conversation-events.query.js';
import { ExecuteConversationCommandHandler } from './conversation.commands.js';
import { ConversationCommandProcessor } from './conversation.processor.js';
import { ConversationController } from './http/conversation.controller.js';

@Module({
  imports: [CqrsModule],
  controllers: [ConversationController],
  providers: [ConversationCommandProcessor, ExecuteConversationCommandHandler, ReadConversationEventsHandler],
})
export class ConversationModule {}
