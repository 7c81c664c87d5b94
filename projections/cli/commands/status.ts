import { PROJECTIONS } from '../../registry.js';
import { type ProjectionStatus, projectionStatus } from '../../projector/status.js';
import { type Cli } from '../context.js';
import { count, table } from '../format.js';

const HEADER = ['NAME', 'VERSION', 'STATUS', 'POSITION', 'LAG', 'REBUILD', 'LAST ERROR'];
/** Exit status when a projection has failed, as for any command that failed. */
export const PROJECTION_FAILED = 1;

/** Every projection in a table, as GET /v1/projections reports them; exit 1 when one has failed. */
export async function status(cli: Cli): Promise<number> {
  const statuses: ProjectionStatus[] = [];
  for (const projection of PROJECTIONS) {
    statuses.push(await projectionStatus(cli.db.pool, cli.db.store, projection));
  }
  cli.print(table([HEADER, ...statuses.map(row)]));
  const failed = statuses.filter((s) => s.status === 'failed');
  for (const s of failed) {
    cli.note(`${s.name} has failed: it stopped at an event it cannot apply (see LAST ERROR)`);
  }
  return failed.length > 0 ? PROJECTION_FAILED : 0;
}

function row(s: ProjectionStatus): string[] {
  return [
    s.name,
    String(s.version),
    s.status,
    s.position ?? '-',
    count(s.lag),
    s.rebuild ? rebuildProgress(s.rebuild) : '-',
    s.lastError?.replace(/\s+/g, ' ') ?? '-',
  ];
}

function rebuildProgress(rebuild: NonNullable<ProjectionStatus['rebuild']>): string {
  const total = rebuild.eventsApplied + rebuild.lag;
  const percent = total === 0 ? 100 : Math.floor((rebuild.eventsApplied * 100) / total);
  const waiting = rebuild.switchWaitingSince
    ? `; switch waiting for readers since ${rebuild.switchWaitingSince}`
    : '';
  return (
    `generation ${rebuild.generation} (v${rebuild.version}): ` +
    `${count(rebuild.eventsApplied)} applied, ${count(rebuild.lag)} to go (${percent}%)${waiting}`
  );
}
