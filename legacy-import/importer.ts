import type { EventStore } from '../src/event-store/event-store.port.js';
import { planConversation, type PlanContext } from './conversation-plan.js';
import { checkRow, type LegacyMessage, type Reject } from './legacy-row.js';
import { writeProject } from './project-writer.js';
import type { SourceRow } from './source.js';
import { emptySummary, type Summary } from './summary.js';

export interface ImportRun extends PlanContext {
  /** Undefined for a dry run: nothing is written. */
  store: EventStore | undefined;
  batchSize: number;
  /** Projects written at once: their appends overlap while the next project is read. */
  concurrency: number;
  reject(reject: Reject): void;
  /** After each project, with the rows read so far. */
  onProgress(summary: Summary, rowsRead: number): void;
  signal: AbortSignal;
}

/**
 * Reads the rows (already in import order, project after project), checks each, and writes every
 * project once all its rows are in: only one project's rows per writer are held at a time.
 */
export async function importRows(rows: AsyncIterable<SourceRow>, run: ImportRun): Promise<Summary> {
  const summary = emptySummary(run.runId, run.store === undefined);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let rowsRead = 0;
  let project: { id: string | null; messages: LegacyMessage[] } = { id: null, messages: [] };

  const flush = async (messages: LegacyMessage[]) => {
    if (messages.length === 0) return;
    const write = importProject(messages, run, summary)
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => {
        inFlight.delete(write);
        run.onProgress(summary, rowsRead);
      });
    inFlight.add(write);
    while (inFlight.size >= run.concurrency) await Promise.race(inFlight);
  };

  for await (const row of rows) {
    rowsRead++;
    if (failure !== undefined || run.signal.aborted) break;
    if (row.project_id !== project.id) {
      await flush(project.messages);
      project = { id: row.project_id, messages: [] };
    }
    const checked = checkRow(row);
    if ('reject' in checked) {
      summary.rejects++;
      run.reject(checked.reject);
    } else project.messages.push(checked.message);
  }
  if (failure === undefined && !run.signal.aborted) await flush(project.messages);
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  summary.rows = rowsRead;
  return summary;
}

async function importProject(messages: LegacyMessage[], run: ImportRun, summary: Summary): Promise<void> {
  const projectId = (messages[0] as LegacyMessage).projectId;
  const plan = planConversation(messages, run);
  summary.projects++;
  summary.messages += plan.messages;
  summary.repairs += plan.repairs;
  summary.duplicateLegacySequences += plan.duplicateLegacySequences;
  summary.zeroLegacySequences += plan.zeroLegacySequences;
  if (!run.store) {
    summary.events += plan.events.length;
    return;
  }
  const outcome = await writeProject(run.store, projectId, plan.events, run.batchSize);
  if ('skipped' in outcome) {
    summary.skippedProjects++;
    summary.skipped.push({ projectId, reason: outcome.skipped });
  } else {
    summary.events += outcome.written;
    summary.eventsAlreadyImported += outcome.alreadyThere;
  }
}
