import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ProjectionsModule } from '../../projections/index.js';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness.checks.js';

@Module({
  // A failed probe is answered as a 503 problem and logged as one; terminus would log it again as an error.
  imports: [TerminusModule.forRoot({ logger: false }), ProjectionsModule],
  controllers: [HealthController],
  providers: [ReadinessChecks],
})
export class HealthModule {}
