import { randomInt } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { parseListen } from '../roles.js';
import { runDemo } from '../demo/run.js';
import { refuse, writeOut } from './options.js';

/** The environment variable the demo reads an API token from. */
export const DEMO_TOKEN_ENV = 'WATCHPOST_TOKEN';

/** The longest token file read: a token is a line, not a document. */
const MAX_TOKEN_FILE_BYTES = 4096;

interface DemoFlags {
  readonly syslog: string;
  readonly api: string;
  readonly tokenFile?: string;
  readonly minutes: number;
  readonly rate: number;
  readonly seed?: number;
}

function numberIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < min || number > max) throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}`);
    return number;
  };
}

function syslogAddress(value: string): string {
  try {
    const { port } = parseListen(value);
    if (port < 1 || port > 65_535) throw new InvalidArgumentError('the port must be from 1 to 65535');
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:5514');
  }
  return value;
}

function apiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http or https URL');
  return url.origin;
}

/** The API token: the file's first line when --token-file is given, else WATCHPOST_TOKEN; a refusal message when the file is unusable. */
export function demoToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): { token?: string } | string {
  if (tokenFile !== undefined) {
    try {
      if (statSync(tokenFile).size > MAX_TOKEN_FILE_BYTES) return `--token-file ${tokenFile} is larger than ${MAX_TOKEN_FILE_BYTES} bytes; it should hold one token`;
      const token = readFileSync(tokenFile, 'utf8').split(/\r?\n/, 1)[0]?.trim() ?? '';
      return token === '' ? `--token-file ${tokenFile} is empty` : { token };
    } catch (error) {
      return `cannot read --token-file ${tokenFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  }
  const token = env[DEMO_TOKEN_ENV]?.trim();
  return token ? { token } : {};
}

/** Registers `watchpost demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('send realistic mixed traffic (firewall, web, auth and antivirus logs, benign and attacks) to a running Watchpost over TCP syslog, and say what to look for')
    .option('--syslog <host:port>', 'the syslog TCP listener of `watchpost start`', syslogAddress, '127.0.0.1:5514')
    .option('--api <url>', 'the API and console', apiUrl, 'http://127.0.0.1:8080')
    .option('--token-file <file>', `an API token (viewer is enough) to count alerts, incidents and blocks; or set ${DEMO_TOKEN_ENV}`)
    .option('--minutes <n>', 'how long to send', numberIn(0.5, 1440, 'minutes'), 2)
    .option('--rate <n>', 'benign lines per second, on average', numberIn(1, 1000, 'lines per second'), 20)
    .option('--seed <n>', 'the same seed sends the same lines and attackers (default: random, printed)', numberIn(0, 2 ** 31 - 1, 'a whole number'))
    .action(async (flags: DemoFlags) => {
      const token = demoToken(flags.tokenFile);
      if (typeof token === 'string') {
        refuse(token);
        return;
      }
      const { host, port } = parseListen(flags.syslog);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Lines are printed in order; a closed stdout (`| head`) stops the printing, not the demo.
      let printing: Promise<unknown> = Promise.resolve();
      const print = (line: string): void => {
        printing = printing.then(() => writeOut(`${line}\n`));
      };
      try {
        const result = await runDemo(
          { syslog: { host, port }, api: flags.api, ...(token.token !== undefined ? { token: token.token } : {}), minutes: flags.minutes, rate: flags.rate, seed: Math.trunc(flags.seed ?? randomInt(2 ** 31 - 1)) },
          print,
          controller.signal,
        );
        await printing;
        if (result.outcome === 'refused' || result.outcome === 'lost') refuse(result.reason ?? 'the syslog connection broke');
        else if (result.outcome === 'aborted') process.exitCode = 130;
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
