import { type DynamicModule, Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/index.js';
import { ConfigModule } from './config/config.module.js';
import { type Config } from './config/config.js';
import { ConversationModule } from './conversation/conversation.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ErasureModule } from './erasure/erasure.module.js';
import { EventStoreModule } from './event-store/event-store.module.js';
import { HealthModule } from './health/health.module.js';
import { CommandRateLimitModule } from './limits/command-rate-limit.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { LiveModule } from './read/live/live.module.js';
import { MessagesModule } from './read/messages/messages.module.js';
import { ProjectsModule } from './read/projects/projects.module.js';
import { ProjectionsAdminModule } from './read/projections-admin/projections-admin.module.js';

@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        EventStoreModule,
        ConversationModule,
        ProjectionsModule,
        MessagesModule,
        ProjectsModule,
        LiveModule,
        ProjectionsAdminModule,
        HealthModule,
        CommandRateLimitModule.forRoot(config),
        MetricsModule,
        ErasureModule,
      ],
    };
  }
}
