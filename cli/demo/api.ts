/**
 * What the demo asks the API once it has a token: how many alerts (from which rules), incidents
 * and active blocks there are. Read-only calls a viewer may make; pages are bounded.
 */

/** What Watchpost made of the traffic so far. */
export interface DemoFindings {
  readonly alerts: number;
  /** The titles of the rules the alerts came from (of the newest alerts, at most 1000 read). */
  readonly rules: readonly string[];
  readonly incidents: number;
  /** The addresses and accounts blocked now, on any driver. */
  readonly blocks: readonly string[];
}

/** Alerts read at most to name their rules: five pages of the API's largest page. */
const MAX_ALERT_PAGES = 5;
const PAGE = 200;

async function getJson(api: string, path: string, token: string, signal?: AbortSignal): Promise<unknown> {
  const response = await fetch(new URL(path, api), {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5000)]) : AbortSignal.timeout(5000),
  });
  if (response.status === 401 || response.status === 403) throw new Error(`the API refused the token (${response.status} on ${path})`);
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response.json();
}

interface Page<T> {
  readonly items: readonly T[];
  readonly total?: number;
  readonly nextCursor?: string;
}

/** Asks GET /api/v1/alerts, /incidents and /blocks; a message saying why when it cannot. */
export async function fetchFindings(api: string, token: string, signal?: AbortSignal): Promise<DemoFindings | string> {
  try {
    const rules = new Set<string>();
    let alerts = 0;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_ALERT_PAGES; page += 1) {
      const query = `/api/v1/alerts?limit=${PAGE}${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const result = (await getJson(api, query, token, signal)) as Page<{ ruleTitle: string }>;
      if (page === 0) alerts = result.total ?? result.items.length;
      for (const alert of result.items) rules.add(alert.ruleTitle);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    const incidents = (await getJson(api, '/api/v1/incidents?limit=1', token, signal)) as Page<unknown>;
    const blocks = (await getJson(api, `/api/v1/blocks?state=active&limit=${PAGE}`, token, signal)) as Page<{ target: string }>;
    return {
      alerts,
      rules: [...rules].sort(),
      incidents: incidents.total ?? incidents.items.length,
      blocks: [...new Set(blocks.items.map((block) => block.target))].sort(),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `cannot ask ${api}: ${cause ?? (error as Error).message}`;
  }
}

/** One line: `alerts 9 from 7 rules, incidents 5, active blocks 2 (198.51.100.7, 203.0.113.9)`. */
export function findingsLine(findings: DemoFindings): string {
  const blocks = findings.blocks.length > 0 ? ` (${findings.blocks.slice(0, 6).join(', ')}${findings.blocks.length > 6 ? ', ...' : ''})` : '';
  return `alerts ${findings.alerts} from ${findings.rules.length} rule${findings.rules.length === 1 ? '' : 's'}, incidents ${findings.incidents}, active blocks ${findings.blocks.length}${blocks}`;
}
