import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { LiveController } from './live.controller.js';
import { LiveService } from './live.service.js';
import { MessageChangeReader } from './message-changes.js';

/** Live message changes as server-sent events, read from the event log. */
@Module({
  imports: [NotificationsModule],
  controllers: [LiveController],
  providers: [MessageChangeReader, LiveService],
  exports: [LiveService],
})
export class LiveModule {}
