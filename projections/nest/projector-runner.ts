import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CONFIG } from '../../src/config/config.module.js';
import { type Config } from '../../src/config/config.js';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store.port.js';
import { Projector } from '../projector/projector.js';
import { PROJECTIONS } from '../registry.js';

/** Runs every projection's projector in this instance (one becomes active across instances). */
@Injectable()
export class ProjectorRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projector');
  private readonly projectors: Projector[];

  constructor(@Inject(CONFIG) config: Config, @Inject(EVENT_STORE) store: EventStore) {
    const log = (level: 'log' | 'warn' | 'error', message: string) => this.logger[level](message);
    this.projectors = PROJECTIONS.map(
      (projection) => new Projector(config.databaseUrl ?? '', store, projection, { log }),
    );
  }

  onApplicationBootstrap(): void {
    for (const projector of this.projectors) projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.projectors.map((projector) => projector.stop()));
  }
}
