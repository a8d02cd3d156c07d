/**
 * What every identity driver does first: check that it was asked for an action it serves and
 * read the account from an input that fits the action's schema. The runner validated the input
 * already; checking again costs nothing and keeps a driver safe when called from elsewhere (a
 * test, the CLI), since the account name ends up in LDAP filters and program arguments.
 */
import { Value } from '@sinclair/typebox/value';
import { UserError } from '../../../core/errors.js';
import { DisableAccountInput, EnableAccountInput } from '../definitions.js';
import type { ActionId } from '../types.js';

/** The two actions identity drivers serve: `disable` locks, `enable` unlocks. */
export type AccountAction = 'disable-account' | 'enable-account';

/** The actions of every identity driver. */
export const ACCOUNT_ACTIONS: readonly AccountAction[] = ['disable-account', 'enable-account'];

/** A checked request: which way, and for which account. */
export interface AccountRequest {
  readonly action: AccountAction;
  readonly account: string;
}

/**
 * Returns the action and account of a disable/enable request; throws a UserError
 * (WATCHPOST_ERR_DRIVER_REJECTED for an action the driver does not serve,
 * WATCHPOST_ERR_ACTION_INPUT for an input that does not fit the schema). Never echoes the input.
 */
export function readAccountRequest(driverId: string, action: ActionId, input: unknown): AccountRequest {
  if (action !== 'disable-account' && action !== 'enable-account') {
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${driverId} does not serve action ${action}`);
  }
  const schema = action === 'disable-account' ? DisableAccountInput : EnableAccountInput;
  if (!Value.Check(schema, input)) {
    const first = Value.Errors(schema, input).First();
    throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `invalid ${action} input for driver ${driverId}: ${first ? `${first.path || '/'} ${first.message}` : 'does not fit the schema'}`);
  }
  return { action, account: (input as { account: string }).account };
}
