import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CompleteAssistantMessageController } from './complete-assistant-message/complete-assistant-message.controller.js';
import { CompleteAssistantMessageHandler } from './complete-assistant-message/complete-assistant-message.handler.js';
import { ConversationCommandProcessor } from './conversation.processor.js';
import { PostUserMessageController } from './post-user-message/post-user-message.controller.js';
import { PostUserMessageHandler } from './post-user-message/post-user-message.handler.js';
import { ReadConversationEventsController } from './read-conversation-events/read-conversation-events.controller.js';
import { ReadConversationEventsHandler } from './read-conversation-events/read-conversation-events.handler.js';
import { ReserveAssistantMessageController } from './reserve-assistant-message/reserve-assistant-message.controller.js';
import { ReserveAssistantMessageHandler } from './reserve-assistant-message/reserve-assistant-message.handler.js';
import { StartTurnController } from './start-turn/start-turn.controller.js';
import { StartTurnHandler } from './start-turn/start-turn.handler.js';
import { StreamAssistantDeltaController } from './stream-assistant-delta/stream-assistant-delta.controller.js';
import { StreamAssistantDeltaHandler } from './stream-assistant-delta/stream-assistant-delta.handler.js';

/** One folder per use case: its command (or query), handler, body and route. */
@Module({
  imports: [CqrsModule],
  controllers: [
    PostUserMessageController,
    ReserveAssistantMessageController,
    CompleteAssistantMessageController,
    StreamAssistantDeltaController,
    StartTurnController,
    ReadConversationEventsController,
  ],
  providers: [
    ConversationCommandProcessor,
    PostUserMessageHandler,
    ReserveAssistantMessageHandler,
    CompleteAssistantMessageHandler,
    StreamAssistantDeltaHandler,
    StartTurnHandler,
    ReadConversationEventsHandler,
  ],
})
export class ConversationModule {}
