import { count } from '../projections/cli/format.js';

/** What a run did; with --json, exactly this object on the last line of stdout. */
export interface Summary {
  runId: string;
  dryRun: boolean;
  rows: number;
  projects: number;
  messages: number;
  /** Appended by this run (a dry run: that it would append). */
  events: number;
  /** Found in the streams already, from an earlier or interrupted run. */
  eventsAlreadyImported: number;
  repairs: number;
  rejects: number;
  skippedProjects: number;
  skipped: { projectId: string; reason: string }[];
  duplicateLegacySequences: number;
  zeroLegacySequences: number;
  /** The process's peak resident memory: it stays flat however many rows are read. */
  peakRssMb: number;
}

export function emptySummary(runId: string, dryRun: boolean): Summary {
  return {
    runId,
    dryRun,
    rows: 0,
    projects: 0,
    messages: 0,
    events: 0,
    eventsAlreadyImported: 0,
    repairs: 0,
    rejects: 0,
    skippedProjects: 0,
    skipped: [],
    duplicateLegacySequences: 0,
    zeroLegacySequences: 0,
    peakRssMb: 0,
  };
}

export function describeSummary(summary: Summary, rejectsFile: string): string {
  const lines = [
    `${summary.dryRun ? 'dry run (nothing written)' : 'import'} ${summary.runId}: ${count(summary.rows)} rows read`,
    `  projects                  ${count(summary.projects)}`,
    `  messages                  ${count(summary.messages)}`,
    `  events ${summary.dryRun ? 'to write' : 'written '}          ${count(summary.events)}`,
    `  events already imported   ${count(summary.eventsAlreadyImported)}`,
    `  repairs                   ${count(summary.repairs)}`,
    `  rejects                   ${count(summary.rejects)}${summary.rejects > 0 ? ` (in ${rejectsFile})` : ''}`,
    `  skipped projects          ${count(summary.skippedProjects)}`,
    ...summary.skipped.map(({ projectId, reason }) => `    ${projectId}: ${reason}`),
    `  duplicateLegacySequences  ${count(summary.duplicateLegacySequences)}`,
    `  zero legacy sequences     ${count(summary.zeroLegacySequences)}`,
    `  peak memory (RSS)         ${summary.peakRssMb} MB`,
  ];
  return lines.join('\n');
}
