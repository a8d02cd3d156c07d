/**
 * One call to a driver under a time limit, and how its errors are read: a UserError means the
 * device refused (no retry), anything else may pass (retry with backoff).
 */
import { OperationalError, UserError } from '../../core/errors.js';
import type { ActionId, Driver, DriverContext, ExecuteResult, VerifyResult } from '../actions/types.js';
import type { Runtime } from './types.js';

/** What the runner passes besides the input. */
export interface CallOptions {
  readonly timeoutMs: number;
  /** The job's signal: aborted when the worker stops or loses the lease. */
  readonly signal?: AbortSignal;
  readonly idempotencyKey: string;
}

/**
 * Runs `call` with a context whose signal aborts at the timeout or with the job. A driver that
 * ignores its signal is not waited for past the timeout: the call rejects with an OperationalError
 * (WATCHPOST_ERR_DRIVER_UNAVAILABLE) and the step is retried, which is safe because drivers are
 * idempotent.
 */
async function withLimit<T>(rt: Runtime, driver: Driver, options: CallOptions, call: (context: DriverContext) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    const fail = (message: string) => reject(new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', message));
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      fail(`driver ${driver.id} did not answer within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    if (options.signal?.aborted) fail(`driver ${driver.id} call aborted: the worker is stopping`);
    options.signal?.addEventListener('abort', () => fail(`driver ${driver.id} call aborted: the worker is stopping`), { once: true });
  });
  limit.catch(() => undefined);
  const context: DriverContext = {
    signal: controller.signal,
    logger: rt.logger.child({ driver: driver.id }),
    clock: rt.clock,
    idempotencyKey: options.idempotencyKey,
  };
  try {
    return await Promise.race([call(context), limit]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Executes `action` on `driver` under the limit. */
export function executeOn(rt: Runtime, driver: Driver, action: ActionId, input: unknown, options: CallOptions): Promise<ExecuteResult> {
  return withLimit(rt, driver, options, (context) => driver.execute(action, input, context));
}

/** Verifies `action` on `driver` under the limit; undefined when the driver cannot verify. */
export async function verifyOn(rt: Runtime, driver: Driver, action: ActionId, input: unknown, options: CallOptions): Promise<VerifyResult | undefined> {
  const verify = driver.verify?.bind(driver);
  if (!verify) return undefined;
  return withLimit(rt, driver, options, (context) => verify(action, input, context));
}

/** Whether retrying the failed call cannot help: the device or the input was refused. */
export function isPermanent(error: unknown): boolean {
  return error instanceof UserError;
}
