export interface LogEntry {
  level: 'LOG' | 'ERROR' | 'WARN' | 'DEBUG' | 'VERBOSE' | 'FATAL';
  context: string;
  /** The message and any lines printed with it (a stack). */
  message: string;
}

const ENTRY = /^\[Nest\] \d+\s+-\s+.*?\s(LOG|ERROR|WARN|DEBUG|VERBOSE|FATAL) \[([^\]]+)\] ([\s\S]*)$/;

/** The service's log entries (Nest's console format, colours removed). */
export function logEntries(output: string): LogEntry[] {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  return plain
    .split(/(?=\[Nest\] \d+ )/)
    .map((chunk) => ENTRY.exec(chunk.trimEnd()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({
      level: match[1] as LogEntry['level'],
      context: match[2]!,
      message: match[3]!.replace(/ \+\d+ms$/, ''),
    }));
}

/** A stack trace printed with an entry. */
export const STACK_LINE = /\n\s+at /;
