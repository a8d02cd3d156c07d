import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import type { Config, ResponseConfig } from '../../core/config/schema.js';
import { formatProblem, UserError, type Problem } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { DRIVER_TYPES } from '../../playbooks/actions/index.js';
import { buildDrivers } from '../../playbooks/actions/registry.js';
import { loadPlaybooks, type DriverRef, type LoadedPlaybooks } from '../../playbooks/definition/load.js';
import { checkSafetyConfig } from '../../playbooks/safety/index.js';
import type { Condition, Playbook } from '../../playbooks/definition/types.js';
import { packageRoot } from '../version.js';
import { displayPath } from './rules-test-runner.js';
import { configOf, writeOut } from './options.js';

/** The playbooks Watchpost ships: the YAML files directly in playbooks/ of the package. */
export function shippedPlaybooksDir(): string {
  return join(packageRoot(), 'playbooks');
}

/** The directories the worker loads: the shipped playbooks first, then `response.playbookDirs` (a later one replaces an earlier one's playbook of the same id). */
export function playbookDirs(response: Readonly<ResponseConfig>): string[] {
  return [shippedPlaybooksDir(), ...response.playbookDirs.map((dir) => resolve(dir))];
}

/**
 * The configured driver instances as the playbook loader checks `drivers:` names against them:
 * an instance of a type Watchpost does not know serves nothing (the driver check reports the type).
 */
export function driverRefs(response: Readonly<ResponseConfig>): DriverRef[] {
  return response.drivers.map((driver) => ({ id: driver.id, type: driver.type, actions: DRIVER_TYPES.find((type) => type.type === driver.type)?.actions ?? [] }));
}

/** Loads the playbooks the config asks for, checking driver names against its drivers. */
export function loadConfiguredPlaybooks(response: Readonly<ResponseConfig>): LoadedPlaybooks {
  return loadPlaybooks({ dirs: playbookDirs(response), drivers: driverRefs(response), disabled: response.disabledPlaybooks });
}

/** A problem as one line: `file:line:col: message` with the file relative to the working directory, or `path: message`. */
function problemLine(problem: Problem): string {
  if (problem.location) return formatProblem({ ...problem, location: { ...problem.location, file: displayPath(problem.location.file) } });
  return problem.path !== undefined && !problem.message.includes(problem.path) ? `${problem.path}: ${problem.message}` : problem.message;
}

function replacedLines(loaded: LoadedPlaybooks): string[] {
  return loaded.replaced.map(
    (r) => `note: playbook "${r.id}" of ${displayPath(r.source.file)}:${r.source.line} is replaced by ${displayPath(r.by.file)}:${r.by.line}`,
  );
}

/**
 * The playbook and driver part of `watchpost validate`: loads the configured playbooks and builds
 * the configured drivers offline; throws a UserError listing every problem (file:line:col for
 * playbooks, the config path for drivers), so validate exits 1 as for a bad config key. Returns a
 * one-line summary and the notes (replaced playbooks) otherwise.
 */
export function validateResponse(config: Readonly<Config>): { summary: string; notes: string[] } {
  const loaded = loadConfiguredPlaybooks(config.response);
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const built = buildDrivers(config.response.drivers, DRIVER_TYPES, { logger, clock: SYSTEM_CLOCK });
  for (const driver of built.drivers.values()) void driver.close?.();
  const problems: Problem[] = [
    ...loaded.problems.map((problem) => (problem.location ? { ...problem, location: { ...problem.location, file: displayPath(problem.location.file) } } : { ...problem, message: problemLine(problem) })),
    // Driver problems have a config path, not a position: the path goes into the message.
    ...built.problems.map((problem) => ({ ...problem, message: problemLine(problem) })),
    ...checkSafetyConfig(config.response.safety).map((problem) => ({ ...problem, message: problemLine(problem) })),
  ];
  if (problems.length > 0) {
    const code = loaded.problems.length > 0 ? 'WATCHPOST_ERR_PLAYBOOK_INVALID' : 'WATCHPOST_ERR_DRIVER_CONFIG';
    throw new UserError(code, `response: ${problems.length} problem${problems.length === 1 ? '' : 's'} in playbooks, drivers and safety settings`, { problems });
  }
  const enabled = loaded.playbooks.filter((playbook) => playbook.enabled).length;
  return {
    summary: `playbooks: ${loaded.playbooks.length} loaded (${enabled} enabled); drivers: ${built.drivers.size} built`,
    notes: replacedLines(loaded),
  };
}

interface PlaybookOptions {
  readonly config?: string;
  readonly json?: boolean;
}

/** Explicit directories replace the configured ones; driver names are checked when a config names drivers. */
function load(dirs: readonly string[], options: PlaybookOptions): LoadedPlaybooks {
  const config = configOf(options.config !== undefined ? { config: options.config } : {});
  const checkDrivers = options.config !== undefined || config.response.drivers.length > 0;
  return loadPlaybooks({
    dirs: dirs.length > 0 ? dirs.map((dir) => resolve(dir)) : playbookDirs(config.response),
    ...(checkDrivers ? { drivers: driverRefs(config.response) } : {}),
    disabled: dirs.length > 0 ? [] : config.response.disabledPlaybooks,
  });
}

async function validate(dirs: string[], options: PlaybookOptions): Promise<void> {
  const loaded = load(dirs, options);
  const enabled = loaded.playbooks.filter((playbook) => playbook.enabled).length;
  const summary = { playbooks: loaded.playbooks.length, enabled, problems: loaded.problems.length };
  if (options.json) {
    await writeOut(
      JSON.stringify({
        summary,
        problems: loaded.problems.map((problem) => ({ ...problem, ...(problem.location ? { location: { ...problem.location, file: displayPath(problem.location.file) } } : {}) })),
        replaced: loaded.replaced.map((r) => ({ id: r.id, source: { ...r.source, file: displayPath(r.source.file) }, by: { ...r.by, file: displayPath(r.by.file) } })),
      }) + '\n',
    );
  } else {
    for (const line of [...loaded.problems.map(problemLine), ...replacedLines(loaded)]) if (!(await writeOut(line + '\n'))) break;
    await writeOut(`playbooks: ${summary.playbooks} loaded (${enabled} enabled); ${summary.problems} problem${summary.problems === 1 ? '' : 's'}\n`);
  }
  if (loaded.problems.length > 0) process.exitCode = 1;
}

function describeCondition(condition: Condition): string {
  if ('all' in condition) return `all(${condition.all.map(describeCondition).join(', ')})`;
  if ('any' in condition) return `any(${condition.any.map(describeCondition).join(', ')})`;
  if ('not' in condition) return `not(${describeCondition(condition.not)})`;
  const { field, ...tests } = condition;
  return `${field} ${Object.entries(tests)
    .map(([test, value]) => `${test} ${JSON.stringify(value)}`)
    .join(' ')}`;
}

function describeTrigger(playbook: Playbook): string {
  const { trigger } = playbook;
  return [
    `on ${trigger.on}`,
    ...(trigger.rules ? [`rules ${trigger.rules.join(',')}`] : []),
    ...(trigger.tags ? [`tags ${trigger.tags.join(',')}`] : []),
    ...(trigger.minSeverity ? [`severity >= ${trigger.minSeverity}`] : []),
    ...(trigger.when ? [`when ${describeCondition(trigger.when)}`] : []),
  ].join('; ');
}

async function list(dirs: string[], options: PlaybookOptions): Promise<void> {
  const loaded = load(dirs, options);
  if (options.json) {
    await writeOut(JSON.stringify({ playbooks: loaded.playbooks.map((playbook) => ({ ...playbook, source: { ...playbook.source, file: displayPath(playbook.source.file) } })), problems: loaded.problems.length }) + '\n');
  } else {
    for (const playbook of loaded.playbooks) {
      const flags = [playbook.enabled ? 'enabled' : 'disabled', ...(playbook.dryRun ? ['dry-run'] : [])].join(', ');
      const steps = playbook.steps.map((step) => `${step.id}=${step.action}${step.approval === 'auto' ? '' : ' (approval)'}`).join(' → ');
      const text = `${playbook.id} [${flags}] ${playbook.title}\n    trigger: ${describeTrigger(playbook)}\n    steps:   ${steps}\n    file:    ${displayPath(playbook.source.file)}:${playbook.source.line}\n`;
      if (!(await writeOut(text))) return;
    }
    if (loaded.problems.length > 0) process.stderr.write(`watchpost: ${loaded.problems.length} problem(s) left playbooks out; run \`watchpost playbooks validate\`\n`);
  }
}

/** `watchpost playbooks validate|list`. */
export function registerPlaybooksCommand(program: Command): void {
  const playbooks = program.command('playbooks').description('response playbooks: check them, list them');
  playbooks
    .command('validate')
    .description('load the playbooks and print every problem as file:line:col: message; exits 1 when there is any')
    .argument('[dirs...]', 'playbook directories (default: the shipped playbooks/, then response.playbookDirs)')
    .option('-c, --config <file>', 'YAML configuration file: its playbookDirs, disabledPlaybooks and drivers (driver names are checked against them)')
    .option('--json', 'one JSON object: {summary, problems, replaced}')
    .action((dirs: string[], options: PlaybookOptions) => validate(dirs, options));
  playbooks
    .command('list')
    .description('print every loaded playbook: id, state, trigger, steps and file')
    .argument('[dirs...]', 'playbook directories (default: the shipped playbooks/, then response.playbookDirs)')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--json', 'one JSON object: {playbooks, problems}')
    .action((dirs: string[], options: PlaybookOptions) => list(dirs, options));
}
