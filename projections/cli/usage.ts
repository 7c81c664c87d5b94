import { findProjection, PROJECTIONS } from '../registry.js';
import { type Projection } from '../projection.js';

export const USAGE = `Usage: npm run projections -- <command>

Commands:
  status               every projection: version, status, position, lag, last error, rebuild progress
  rebuild <name>       build the projection again beside the live one, then switch to it
                       (runs the build in this process when no service is running)
  replay <projectId>   rebuild one project's rows in the live read model from its stream
  verify               compare the read model with the event log up to its checkpoint
  erase <projectId>    erase the project's conversation for good: its events, its rows in every
                       generation, its live streams; a tombstone keeps the id erased

Projections: ${PROJECTIONS.map((p) => p.name).join(', ')}

Connects to DATABASE_URL, or else to the embedded PostgreSQL under DATA_DIR (default .data),
starting it when no service is running.
Exit status: 0 done, 1 failed (status: a projection has failed), 2 bad usage,
3 verify found differences, 130 interrupted.`;

export type Command =
  | { name: 'help' }
  | { name: 'status' }
  | { name: 'rebuild'; projection: Projection }
  | { name: 'replay'; projectId: string }
  | { name: 'erase'; projectId: string }
  | { name: 'verify' };

/** A mistake in the command line: reported with the usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function parseArguments(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
      throw new UsageError('no command given');
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' };
    case 'status':
    case 'verify':
      if (rest.length > 0) throw new UsageError(`${name}: unexpected argument "${rest[0]}"`);
      return { name };
    case 'rebuild': {
      const projectionName = oneArgument(name, rest, '<name>');
      const projection = findProjection(projectionName);
      if (!projection) {
        throw new UsageError(
          `unknown projection "${projectionName}" (known: ${PROJECTIONS.map((p) => p.name).join(', ')})`,
        );
      }
      return { name, projection };
    }
    case 'replay':
    case 'erase':
      return { name, projectId: projectIdArgument(name, rest) };
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

function projectIdArgument(command: string, given: readonly string[]): string {
  const projectId = oneArgument(command, given, '<projectId>');
  if (!PROJECT_ID.test(projectId)) {
    throw new UsageError(
      `"${projectId}" is not a projectId (1 to 100 of A-Z a-z 0-9 _ -, starting with a letter or digit)`,
    );
  }
  return projectId;
}

function oneArgument(command: string, given: readonly string[], expected: string): string {
  const [value, extra] = given;
  if (value === undefined) throw new UsageError(`${command}: missing ${expected}`);
  if (extra !== undefined) throw new UsageError(`${command}: unexpected argument "${extra}"`);
  return value;
}
