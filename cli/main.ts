import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../core/config/load.js';
import type { Config } from '../core/config/schema.js';
import { formatProblem, UserError, WatchpostError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { DEFAULT_SYSLOG_LISTEN, startRoles, syslogListeners, type RoleName } from './roles.js';
import { registerActionsCommand } from './commands/actions.js';
import { registerBackupCommand } from './commands/backup.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerParsersCommand } from './commands/parsers.js';
import { registerPlaybooksCommand, validateResponse } from './commands/playbooks.js';
import { validateReports } from './validate-reports.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerReportCommand } from './commands/report.js';
import { registerRulesCommand } from './commands/rules.js';
import { registerSearchCommand } from './commands/search.js';
import { registerTokenCommand } from './commands/token.js';
import { registerUserCommand } from './commands/user.js';
import { VERSION } from './version.js';

/** The flags every command shares. */
interface CommonOptions {
  readonly config?: string;
  readonly dataDir?: string;
  readonly apiListen?: string;
  readonly logLevel?: string;
  /** start and ingest only: syslog UDP and TCP listeners on this address. */
  readonly syslogListen?: string;
}

function hostPort(value: string): string {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:8080');
  return value;
}

function withCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML configuration file (WATCHPOST_* environment variables override it)')
    .option('--data-dir <dir>', 'directory of the embedded database, spool and checkpoints (default ./data)')
    .option('--api-listen <host:port>', 'address of the HTTP API and console (default 127.0.0.1:8080)', hostPort)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace');
}

function configFrom(options: CommonOptions, defaultSyslogListen?: string): Readonly<Config> {
  const overrides: { path: string[]; value: unknown }[] = [];
  if (options.dataDir !== undefined) overrides.push({ path: ['dataDir'], value: options.dataDir });
  if (options.apiListen !== undefined) overrides.push({ path: ['api', 'listen'], value: options.apiListen });
  if (options.logLevel !== undefined) overrides.push({ path: ['log', 'level'], value: options.logLevel });
  const input = { ...(options.config !== undefined ? { file: options.config } : {}), overrides };
  const config = loadConfig(input);
  const listen = options.syslogListen ?? (config.ingest.syslog.length === 0 ? defaultSyslogListen : undefined);
  if (listen === undefined) return config;
  // Loaded again so the added listeners get their defaults and are validated like configured ones.
  return loadConfig({ ...input, overrides: [...overrides, { path: ['ingest', 'syslog'], value: syslogListeners(config.ingest.syslog, listen) }] });
}

async function run(roles: readonly RoleName[], options: CommonOptions, defaultSyslogListen?: string): Promise<void> {
  const config = configFrom(options, defaultSyslogListen);
  const logger = createLogger({ level: config.log.level });
  const running = await startRoles(roles, config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'stopping');
      running.close().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'stopping failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('stopped');
}

/** Builds the `watchpost` command line. */
export function buildProgram(): Command {
  const program = new Command('watchpost')
    .description('Security monitoring and response: syslog in, ECS, Sigma detection, alerts, incidents, playbooks, weekly report.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .enablePositionalOptions();

  const roles: [string, readonly RoleName[], string][] = [
    ['start', ['api', 'ingest', 'worker'], 'run every role in one process (embedded backends unless the config says otherwise)'],
    ['ingest', ['ingest'], 'run the ingest role: sources, parsing, detection'],
    ['worker', ['worker'], 'run the worker role: playbook jobs, scheduled reports, retention'],
    ['api', ['api'], 'run the API role: the HTTP API and the console'],
  ];
  for (const [name, roleList, description] of roles) {
    const command = withCommonOptions(program.command(name).description(description));
    if (roleList.includes('ingest')) {
      command.option('--syslog-listen <host:port>', `syslog over UDP and TCP on this address (start: ${DEFAULT_SYSLOG_LISTEN} when no listener is configured)`, hostPort);
    }
    command.action((options: CommonOptions) => run(roleList, options, name === 'start' ? DEFAULT_SYSLOG_LISTEN : undefined));
  }

  withCommonOptions(program.command('validate').description('check the configuration, the playbooks and the response drivers; exits non-zero and names each problem with its file:line'))
    .action((options: CommonOptions) => {
      const config = configFrom(options);
      // Both parts are checked before either refuses, so every problem is named at once.
      const refusals: UserError[] = [];
      const checked = <T>(check: () => T): T | undefined => {
        try {
          return check();
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          refusals.push(error);
          return undefined;
        }
      };
      const response = checked(() => validateResponse(config));
      const reports = checked(() => validateReports(config));
      const [first] = refusals;
      if (first !== undefined || response === undefined || reports === undefined) {
        if (refusals.length === 1 && first) throw first;
        throw new UserError(first?.code ?? 'WATCHPOST_ERR_CONFIG_INVALID', refusals.map((refusal) => refusal.message).join('; '), { problems: refusals.flatMap((refusal) => refusal.problems) });
      }
      for (const note of response.notes) process.stdout.write(`${note}\n`);
      process.stdout.write(`configuration ${options.config ?? '(defaults and environment)'} is valid: backends events=${config.backends.events} cases=${config.backends.cases} queue=${config.backends.queue} correlation=${config.backends.correlation}; ${response.summary}; ${reports}\n`);
    });
  registerTokenCommand(program);
  registerUserCommand(program);
  registerSearchCommand(program);
  registerParsersCommand(program);
  registerReplayCommand(program);
  registerRulesCommand(program);
  registerActionsCommand(program);
  registerPlaybooksCommand(program);
  registerReportCommand(program);
  registerBackupCommand(program);
  registerDemoCommand(program);
  return program;
}

/** Runs the command line; maps errors to messages and exit codes (1 for user and operational errors, 70 for bugs). */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof WatchpostError && error.intent !== 'unexpected') {
      process.stderr.write(`watchpost: ${error.message} [${error.code}]\n`);
      for (const problem of error.problems) process.stderr.write(`  ${formatProblem(problem)}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`watchpost: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  }
}
