import { Controller, Get, Inject } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '../database/database.module.js';
import { Problem } from '../http/problem.js';

@Controller('health')
export class HealthController {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; checks: Record<string, 'ok'> }> {
    try {
      await this.pool.query('SELECT 1');
    } catch {
      throw new Problem(503, 'not-ready', 'The database is unreachable', { retryAfterSeconds: 2 });
    }
    return { status: 'ok', checks: { database: 'ok', eventStore: 'ok' } };
  }
}
