import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** deploy/ in the repository. */
export const DEPLOY = join(REPO_ROOT, 'deploy');

const TOOLS_BIN = join(REPO_ROOT, '.cache', 'deploy-tools', 'bin');

/** The programs deploy/dev/compose.sh builds or unpacks into .cache/deploy-tools/bin. */
export type DeployTool = 'docker-compose' | 'dockerfile-lint' | 'nginx' | 'syslog-ng';

/**
 * The path of a tool deploy/dev/compose.sh provides. A missing tool fails the test with the
 * command that installs it: a check that cannot run has not passed.
 */
export function deployTool(name: DeployTool): string {
  const path = join(TOOLS_BIN, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`bash deploy/dev/compose.sh\` first`);
  return path;
}

/** What a program printed and how it exited. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argument array (never a shell) to completion; a non-zero exit is a result. */
export function run(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env ?? process.env, cwd: options.cwd ?? REPO_ROOT, timeout: options.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}
