import { type Config, ConfigError, loadConfig } from '../../src/config/config.js';
import { describeError as describe } from './format.js';
import { erase } from './commands/erase.js';
import { rebuild } from './commands/rebuild.js';
import { replay } from './commands/replay.js';
import { status } from './commands/status.js';
import { verify } from './commands/verify.js';
import {
  abortOnSignals,
  type Cli,
  type Database,
  databaseTarget,
  Interrupted,
  openDatabase,
} from './context.js';
import { type Command, parseArguments, USAGE, UsageError } from './usage.js';

const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** `npm run projections -- <command>`: operate the projections from a shell. */
async function main(argv: readonly string[]): Promise<number> {
  let command: Command;
  let config: Config;
  try {
    command = parseArguments(argv);
    if (command.name === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    config = loadConfig();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`projections: ${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`projections: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }

  const controller = abortOnSignals(EXIT.interrupted);

  let db: Database | undefined;
  try {
    db = await openDatabase(config, (message) => process.stderr.write(`projections: ${message}\n`));
    const cli: Cli = {
      db,
      signal: controller.signal,
      stderr: process.stderr,
      print: (text) => process.stdout.write(`${text}\n`),
      note: (text) => process.stderr.write(`${text}\n`),
    };
    return await run(cli, command);
  } catch (error) {
    if (error instanceof Interrupted) return EXIT.interrupted;
    process.stderr.write(`projections ${command.name} failed: ${describe(error)}\n`);
    process.stderr.write(`  database: ${databaseTarget(config)}\n`);
    return EXIT.failed;
  } finally {
    await db?.close().catch((error: unknown) => {
      process.stderr.write(`projections: could not close the database cleanly: ${describe(error)}\n`);
    });
  }
}

function run(cli: Cli, command: Exclude<Command, { name: 'help' }>): Promise<number> {
  switch (command.name) {
    case 'status':
      return status(cli);
    case 'rebuild':
      return rebuild(cli, command.projection);
    case 'replay':
      return replay(cli, command.projectId);
    case 'verify':
      return verify(cli);
    case 'erase':
      return erase(cli, command.projectId);
  }
}

main(process.argv.slice(2)).then(
  // The exit code is the command's, whatever else is left on the event loop.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`projections: unexpected error: ${describe(error)}\n`);
    process.exit(EXIT.failed);
  },
);
