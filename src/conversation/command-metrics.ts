/** How an append of the command path ended. */
export type AppendOutcome = 'appended' | 'conflict' | 'failed';

/**
 * What the command path reports about its appends, for metrics. The processor only calls it; the
 * metrics module implements it, and without one nothing is recorded.
 */
export interface CommandMetrics {
  /** An append of the events of `commands` commands, which took `seconds`. */
  append(commands: number, seconds: number, outcome: AppendOutcome): void;
  /** A race lost to another instance is tried again. */
  retry(): void;
}

export const COMMAND_METRICS = Symbol('COMMAND_METRICS');

export const NO_COMMAND_METRICS: CommandMetrics = { append: () => undefined, retry: () => undefined };
