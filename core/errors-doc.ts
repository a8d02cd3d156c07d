import { ERROR_CATALOGUE, type ErrorIntent } from './errors.js';

const WHAT_TO_DO: Record<ErrorIntent, string> = {
  user: 'Fix the input named in the message (its file:line:col when it has one); retrying unchanged will fail the same way.',
  operational: 'A dependency is down or slow. Watchpost logs it at warn and retries with backoff; check the named service if it persists.',
  unexpected: 'A bug in Watchpost. The process exits and its supervisor restarts it; please report it with the log lines around it.',
};

/** Renders docs/errors.md from the catalogue; `npm run docs:errors` writes it and a test keeps the two in step. */
export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Every error Watchpost reports carries one of these codes (generated from `core/errors.ts` by',
    '`npm run docs:errors`; `core/errors.test.ts` fails when the two differ).',
    '',
    'Intents: **user** — bad config, rule or request, reported with its location, never retried;',
    '**operational** — a dependency is down or slow, retried with backoff; **unexpected** — a bug.',
    '',
  ];
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    lines.push(`## ${code}`, '', `Intent: ${entry.intent}.`, '', entry.summary, '', WHAT_TO_DO[entry.intent], '');
  }
  return lines.join('\n');
}
