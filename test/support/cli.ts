import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const PROJECTIONS_CLI = path.resolve('dist/projections/cli/main.js');
const IMPORT_CLI = path.resolve('dist/legacy-import/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The built projections CLI (`npm test` builds first) as a child process, as an operator runs it,
 * with `env` over this process's environment; killed after 50 s.
 */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return finished(spawnCli(PROJECTIONS_CLI, args, env));
}

/** The built legacy importer, as runCli runs the projections CLI. */
export function runImport(args: string[], env: Record<string, string>): Promise<CliResult> {
  return finished(spawnImport(args, env));
}

/** The built legacy importer, left running: for tests that kill it. */
export function spawnImport(args: string[], env: Record<string, string>): ChildProcess {
  return spawnCli(IMPORT_CLI, args, env);
}

function spawnCli(cli: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
