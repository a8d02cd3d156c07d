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

export const testRule = (yaml: string, events: Record<string, unknown>[], signal?: AbortSignal) =>
  api<TestResult>('/api/v1/rules/test', { method: 'POST', body: { yaml, events }, ...(signal ? { signal } : {}) });

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

/**
 * Pasted log lines as sample events: a line that is a JSON object is taken as an ECS event; any
 * other line becomes `{ message, event.original }` (the API has no route that runs a parser on a
 * raw line, so such a line matches only rules on `message`).
 */
export function linesToEvents(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      if (line.startsWith('{')) {
        try {
          const parsed: unknown = JSON.parse(line);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
        } catch {
          // Not JSON after all: a raw line.
        }
      }
      return { message: line, event: { original: line } };
    });
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
