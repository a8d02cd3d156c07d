import { hasCode, UserError } from '../errors.js';
import type { Collection, Stored } from './case-store.js';

/**
 * Read-modify-write with optimistic concurrency: reads the record, applies `change`, and writes
 * it back if nobody wrote in between; on a conflict it waits a short random time (so writers
 * that collided spread out instead of colliding again) and retries, up to `attempts`.
 * `change` must be a pure function of the record it is given (it may run several times).
 */
export async function modify<T extends { readonly id: string }>(
  collection: Collection<T>,
  id: string,
  change: (current: Stored<T>) => T,
  attempts = 10,
): Promise<Stored<T>> {
  for (let attempt = 1; ; attempt++) {
    const current = await collection.get(id);
    if (!current) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `record ${id} does not exist`);
    try {
      return await collection.replace({ ...change(current), rev: current.rev });
    } catch (error) {
      if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') || attempt >= attempts) throw error;
      // Full jitter over a window that doubles with each attempt, capped at 200 ms.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
  }
}
