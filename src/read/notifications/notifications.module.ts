import { Module } from '@nestjs/common';
import { NotificationHub } from './notification-hub.js';

/** The instance's one LISTEN connection, shared by live updates and minRevision waits. */
@Module({
  providers: [NotificationHub],
  exports: [NotificationHub],
})
export class NotificationsModule {}
