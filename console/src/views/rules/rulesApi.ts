import { api, ApiError } from '../../api/client';

/** Types restated from api/routes/rules (the console's tsconfig has no Node types). */
export interface RuleSummary {
  readonly key: string;
  readonly id?: string;
  readonly title: string;
  readonly level: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  readonly status?: string;
  readonly author?: string;
  readonly tags: string[];
  readonly kind: 'detection' | 'correlation';
  readonly origin: 'shipped' | 'config' | 'custom';
  readonly enabled: boolean;
  readonly active: boolean;
}

/** A located problem of a rule file, as the 400 answers and `problems` lists carry it. */
export interface RuleProblem {
  readonly message: string;
  readonly line: number;
  readonly col: number;
  readonly severity?: 'error' | 'warning';
}

export interface TestResult {
  readonly rules: string[];
  readonly events: { index: number; matches: { rule: { key: string; title: string; level: string }; selections: string[]; matched: { field: string; value: unknown }[] }[] }[];
  readonly correlations: { rule: { key: string; title: string } }[];
  readonly problems: { line: number; col: number; severity: 'error' | 'warning'; message: string }[];
}

export const fetchRules = (query: { q?: string; enabled?: boolean; limit?: number }) =>
  api<{ items: RuleSummary[]; total: number; nextCursor?: string }>('/api/v1/rules', { query: { ...query, limit: query.limit ?? 500 } });

export const switchRule = (key: string, enabled: boolean, reason: string | undefined) =>
  api<{ key: string; enabled: boolean }>(`/api/v1/rules/${encodeURIComponent(key)}/${enabled ? 'enable' : 'disable'}`, {
    method: 'POST',
    body: reason ? { reason } : {},
  });

export const testRule = (yaml: string, samples: { readonly events?: Record<string, unknown>[]; readonly lines?: string[] }, signal?: AbortSignal) =>
  api<TestResult>('/api/v1/rules/test', {
    method: 'POST',
    body: { yaml, ...(samples.events && samples.events.length > 0 ? { events: samples.events } : {}), ...(samples.lines && samples.lines.length > 0 ? { lines: samples.lines } : {}) },
    ...(signal ? { signal } : {}),
  });

export const uploadRule = (id: string | undefined, yaml: string) =>
  api<{ id: string; file: string; problems: RuleProblem[] }>('/api/v1/rules/custom', { method: 'POST', body: { ...(id ? { id } : {}), yaml } });

/** The located problems of a rule API refusal (`problems[].location`), or none. */
export function problemsOf(error: unknown): RuleProblem[] {
  if (!(error instanceof ApiError)) return [];
  return (error.problems as readonly { message: string; location?: { line?: number; col?: number } }[]).map((p) => ({
    message: p.message,
    line: p.location?.line ?? 0,
    col: p.location?.col ?? 0,
  }));
}

/** Pasted samples as the test route takes them, and the pasted text of each in the route's order. */
export interface Samples {
  /** Lines that are JSON objects: ECS events as stored. */
  readonly events: Record<string, unknown>[];
  /** Any other line: a raw log line, which the server parses as ingest would. */
  readonly lines: string[];
  /** The text of every sample in the order the route numbers its results: events, then lines. */
  readonly order: string[];
}

/** Splits pasted text into ECS events (JSON object lines) and raw log lines; blank lines are skipped. */
export function samplesOf(text: string): Samples {
  const events: Record<string, unknown>[] = [];
  const eventTexts: string[] = [];
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (line.trimStart().startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          events.push(parsed as Record<string, unknown>);
          eventTexts.push(line);
          continue;
        }
      } catch {
        // Not JSON after all: a raw line.
      }
    }
    lines.push(line);
  }
  return { events, lines, order: [...eventTexts, ...lines] };
}

/** The ATT&CK enterprise tactics (v18 splits defense evasion into stealth and defense impairment), as Sigma tags spell them. */
export const TACTICS = [
  'reconnaissance',
  'resource_development',
  'initial_access',
  'execution',
  'persistence',
  'privilege_escalation',
  'defense_evasion',
  'stealth',
  'defense_impairment',
  'credential_access',
  'discovery',
  'lateral_movement',
  'collection',
  'command_and_control',
  'exfiltration',
  'impact',
] as const;

/** Enabled rules per tactic tag. */
export function coverage(rules: readonly RuleSummary[]): { tactic: string; count: number }[] {
  return TACTICS.map((tactic) => ({
    tactic,
    count: rules.filter((r) => r.enabled && r.tags.some((t) => t.toLowerCase() === `attack.${tactic}` || t.toLowerCase() === `attack.${tactic.replace(/_/g, '-')}`)).length,
  }));
}
