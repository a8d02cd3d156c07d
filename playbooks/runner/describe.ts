/**
 * Sentences for the incident timeline and logs: what a step does or would do, in words an
 * analyst reads at a glance ("would block 203.0.113.7 on edge for 4 h").
 */
import type { PlaybookRun } from '../../core/cases/types.js';

/** A TTL in the largest whole unit: `4 h`, `30 min`, `45 s`, `2 d`; `1 h 30 min` when needed. */
export function formatTtl(seconds: number): string {
  const units: readonly [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let left = Math.max(0, Math.round(seconds));
  for (const [size, name] of units) {
    if (left >= size && parts.length < 2) {
      parts.push(`${Math.floor(left / size)} ${name}`);
      left %= size;
    }
  }
  return parts.length > 0 ? parts.join(' ') : '0 s';
}

function text(value: unknown, max = 80): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** What an action does, as a verb phrase in the present (`block 203.0.113.7 on edge for 4 h`) and the past. */
export function describeAction(action: string, input: Readonly<Record<string, unknown>> | undefined, drivers: readonly string[]): { present: string; past: string } {
  const on = drivers.length > 0 ? ` on ${drivers.join(', ')}` : '';
  const ttl = typeof input?.ttlSeconds === 'number' ? ` for ${formatTtl(input.ttlSeconds)}` : '';
  const phrase = (verb: string, pastVerb: string, rest: string) => ({ present: `${verb} ${rest}`, past: `${pastVerb} ${rest}` });
  switch (action) {
    case 'block-ip':
      return phrase('block', 'blocked', `${text(input?.address)}${on}${ttl}`);
    case 'unblock-ip':
      return phrase('unblock', 'unblocked', `${text(input?.address)}${on}`);
    case 'disable-account':
      return phrase('disable', 'disabled', `account ${text(input?.account)}${on}${ttl}`);
    case 'enable-account':
      return phrase('enable', 'enabled', `account ${text(input?.account)}${on}`);
    case 'notify':
      return phrase('send', 'sent', `"${text(input?.subject)}"${drivers.length > 0 ? ` via ${drivers.join(', ')}` : ''}`);
    case 'create-ticket':
      return phrase('open', 'opened', `ticket "${text(input?.title)}"${drivers.length > 0 ? ` in ${drivers.join(', ')}` : ''}`);
    default:
      return phrase('run', 'ran', `${action}${on}`);
  }
}

/** One line about a run: `block-ssh-brute-force on alert 1f2e…: succeeded (block: succeeded, notify: skipped)`. */
export function describeRun(run: PlaybookRun): string {
  const subject = run.trigger.alertId !== undefined ? `alert ${run.trigger.alertId}` : `incident ${run.trigger.incidentId ?? '?'}`;
  const steps = run.steps.map((step) => `${step.id}: ${step.status}`).join(', ');
  return `${run.playbookId} on ${subject}: ${run.status}${run.dryRun === true ? ' (dry run)' : ''}${steps ? ` (${steps})` : ''}`;
}

/** `text` with its first letter in upper case, to open a timeline sentence. */
export function sentence(text: string): string {
  return text.length > 0 ? `${text.charAt(0).toUpperCase()}${text.slice(1)}` : text;
}
