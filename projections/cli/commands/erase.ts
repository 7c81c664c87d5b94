import { ProjectErasure } from '../../../src/erasure/project-erasure.js';
import { type Cli } from '../context.js';
import { count } from '../format.js';

/**
 * Erases one project, as DELETE /v1/projects/{projectId} does (the same steps, in the same
 * order), and says what it removed. Erasing again removes nothing and succeeds.
 */
export async function erase(cli: Cli, projectId: string): Promise<number> {
  const report = await new ProjectErasure(cli.db.pool, cli.db.store).erase({
    projectId,
    subject: null,
    requestId: null,
  });
  cli.print(`erased project ${projectId}: removed ${count(report.eventsRemoved)} events from the event log`);
  for (const { projection, generation, rows } of report.readModels)
    cli.print(`${projection} generation ${generation}: removed ${count(rows)} rows`);
  cli.print('its tombstone keeps the project id erased: commands and reads of it answer 410');
  return 0;
}
