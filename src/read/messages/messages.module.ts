import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { GetMessageHandler } from './get-message.query.js';
import { GetMessagesHandler } from './get-messages.query.js';
import { MessagesController } from './messages.controller.js';
import { ProjectedRevisions } from './projected-revisions.js';

/** History queries on the messages read model, waiting for minRevision when asked to. */
@Module({
  imports: [CqrsModule, NotificationsModule],
  controllers: [MessagesController],
  providers: [ProjectedRevisions, GetMessagesHandler, GetMessageHandler],
})
export class MessagesModule {}
