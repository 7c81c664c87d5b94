import { Global, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { type Registry } from 'prom-client';
import { ProjectionsModule, ProjectionsService } from '../../projections/index.js';
import { COMMAND_METRICS } from '../conversation/command-metrics.js';
import { PG_POOL } from '../database/database.module.js';
import { LiveModule } from '../read/live/live.module.js';
import { LiveService } from '../read/live/live.service.js';
import { commandMetrics } from './append-metrics.js';
import { measureRequests } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { projectionMetrics } from './projection-metrics.js';
import { createRegistry, METRICS_REGISTRY } from './registry.js';
import { runtimeMetrics } from './runtime-metrics.js';

/** `GET /metrics`, and the one registry every metric of the service is in. */
@Global()
@Module({
  imports: [LiveModule, ProjectionsModule],
  controllers: [MetricsController],
  providers: [
    { provide: METRICS_REGISTRY, useFactory: createRegistry },
    { provide: COMMAND_METRICS, inject: [METRICS_REGISTRY], useFactory: commandMetrics },
  ],
  exports: [COMMAND_METRICS],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    private readonly adapter: HttpAdapterHost,
    private readonly live: LiveService,
    private readonly projections: ProjectionsService,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
  ) {}

  onModuleInit(): void {
    measureRequests(this.adapter.httpAdapter.getInstance<FastifyInstance>(), this.registry);
    runtimeMetrics(this.registry, this.live, this.pool);
    projectionMetrics(this.registry, this.projections);
  }
}
