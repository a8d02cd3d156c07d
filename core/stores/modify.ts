import { hasCode, UserError } from '../errors.js';
import type { Collection, Stored } from './case-store.js';

/**
 * Read-modify-write with optimistic concurrency: reads the record, applies `change`, and writes
 * it back if nobody wrote in between; on a conflict it reads again and retries, up to `attempts`.
 * `change` must be a pure function of the record it is given (it may run several times).
 */
export async function modify<T extends { readonly id: string }>(
  collection: Collection<T>,
  id: string,
  change: (current: Stored<T>) => T,
  attempts = 5,
): Promise<Stored<T>> {
  for (let attempt = 1; ; attempt++) {
    const current = await collection.get(id);
    if (!current) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `record ${id} does not exist`);
    try {
      return await collection.replace({ ...change(current), rev: current.rev });
    } catch (error) {
      if (!hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') || attempt >= attempts) throw error;
    }
  }
}
