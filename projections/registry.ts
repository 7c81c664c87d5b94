import { type MigrationSet } from '../src/database/migrations.js';
import { messagesProjection } from './messages/messages.projection.js';
import { type Projection } from './projection.js';
import { projectorMigrations } from './projector/generations.js';

/** Every projection the service runs, declared here and nowhere else. */
export const PROJECTIONS: readonly Projection[] = [messagesProjection];

export const PROJECTOR_MIGRATIONS: MigrationSet = { name: 'projector', migrations: projectorMigrations };

export function findProjection(name: string): Projection | undefined {
  return PROJECTIONS.find((projection) => projection.name === name);
}
