import { ApiError, apiUrl, type ApiOptions } from '../../api/client';

/** An event as GET /api/v1/events returns it: nested ECS objects. */
export type EcsEvent = Readonly<Record<string, unknown>>;

export interface EventsPage {
  readonly events: readonly EcsEvent[];
  readonly total: number;
  readonly nextCursor?: string;
}

export interface TermsAnswer {
  readonly field: string;
  readonly from: string;
  readonly to: string;
  readonly buckets: readonly { readonly value: string | number | boolean; readonly count: number }[];
}

export interface HistogramAnswer {
  readonly from: string;
  readonly to: string;
  readonly intervalMs: number;
  readonly buckets: readonly { readonly start: string; readonly count: number }[];
}

/** A 400 of the events routes: with `line` and `column` (1-based) when the query does not parse. */
export class QueryError extends ApiError {
  constructor(
    status: number,
    code: string | undefined,
    message: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
  ) {
    super(status, code, message);
    this.name = 'QueryError';
  }
}

/**
 * GET of an events route. Like the console's `api`, but the error keeps the `line` and `column`
 * the events routes add to a syntax error (the shared client keeps only the common shape).
 */
export async function getEvents<T>(path: string, query: ApiOptions['query'], signal?: AbortSignal): Promise<T> {
  const response = await fetch(apiUrl(path, query), { method: 'GET', headers: { accept: 'application/json' }, credentials: 'same-origin', ...(signal ? { signal } : {}) });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const shape = (body ?? {}) as { code?: string; message?: string; line?: number; column?: number };
    throw new QueryError(response.status, shape.code, shape.message ?? `${response.status} ${response.statusText}`, shape.line, shape.column);
  }
  return body as T;
}
