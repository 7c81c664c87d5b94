export interface LogEntry {
  level: 'LOG' | 'ERROR' | 'WARN' | 'DEBUG' | 'VERBOSE' | 'FATAL';
  /** The logging class's context ("HTTP", "Main"); empty for the request lines. */
  context: string;
  /** The message and any lines printed with it (a stack). */
  message: string;
  /** The whole JSON line, for the fields of request lines (requestId, route, res, durationMs). */
  fields: Record<string, unknown>;
}

/** pino's level names, as Nest's console logger named them. */
const LEVELS: Record<string, LogEntry['level']> = {
  trace: 'VERBOSE',
  debug: 'DEBUG',
  info: 'LOG',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
};

/** The service's log entries: its JSON lines (LOG_FORMAT=json, as when stdout is not a terminal). */
export function logEntries(output: string): LogEntry[] {
  return output.split('\n').flatMap((line) => {
    const fields = parse(line);
    const level = typeof fields?.level === 'string' ? LEVELS[fields.level] : undefined;
    if (!fields || !level) return [];
    const stack = (fields.err as { stack?: unknown } | undefined)?.stack;
    const message = `${String(fields.msg ?? '')}${typeof stack === 'string' ? `\n${stack}` : ''}`;
    return [{ level, context: typeof fields.context === 'string' ? fields.context : '', message, fields }];
  });
}

function parse(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A stack trace printed with an entry. */
export const STACK_LINE = /\n\s+at /;
