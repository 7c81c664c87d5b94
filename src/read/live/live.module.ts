import { Module } from '@nestjs/common';
import { CONFIG } from '../../config/config.module.js';
import { type Config } from '../../config/config.js';
import { StreamCap } from '../../limits/stream-cap.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { LIVE_STREAM_CAP, LiveController } from './live.controller.js';
import { LiveService } from './live.service.js';
import { MessageChangeReader } from './message-changes.js';

/** Live message changes as server-sent events, read from the event log. */
@Module({
  imports: [NotificationsModule],
  controllers: [LiveController],
  providers: [
    MessageChangeReader,
    LiveService,
    {
      provide: LIVE_STREAM_CAP,
      useFactory: (config: Config) => new StreamCap(config.liveStreamsPerClient),
      inject: [CONFIG],
    },
  ],
  exports: [LiveService],
})
export class LiveModule {}
