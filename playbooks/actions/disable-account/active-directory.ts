/**
 * The `active-directory` driver: disables and enables accounts by setting and clearing the
 * ACCOUNTDISABLE bit (0x2) of `userAccountControl`, over LDAP with the same connection settings
 * as the `ldap` driver. The service account needs write access to userAccountControl of the
 * accounts it may disable (delegate "Enable/disable account" on their OU).
 *
 * userAccountControl holds other flags too (password never expires, smart card required, ...),
 * so the change is a read-modify-write. AD offers no compare-and-swap control, but a single
 * modify request that deletes the old value and adds the new one is atomic (RFC 4511 section
 * 4.6) and fails with noSuchAttribute when the stored value is no longer the one read: another
 * writer changed the flags in between, and the driver reads again instead of overwriting them.
 *
 * What disabling does not do: end sessions. Kerberos tickets already issued stay valid until they
 * expire (10 hours by default) and Entra ID sessions of a synced account until the next sync;
 * revoke those through the identity provider's webhook driver.
 *
 * Tested against OpenLDAP slapd with a small schema that defines the two AD attributes
 * (test/helpers/slapd.ts), since no Active Directory runs here: the LDAP operations are the same,
 * AD's own behaviour (referrals at the domain root, the placement of accounts) is not exercised.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Attribute, Change, type Client } from 'ldapts';
import { OperationalError, UserError } from '../../../core/errors.js';
import type { Driver, DriverType, ExecuteResult, VerifyResult } from '../types.js';
import { ACCOUNT_ACTIONS, readAccountRequest } from './input.js';
import { attributeValues, LDAP_CONNECTION_SETTINGS, LdapCredentials, LdapDirectory, resultCodeOf } from './ldap-directory.js';

/** The ACCOUNTDISABLE flag of userAccountControl ([MS-ADTS] 2.2.16). */
export const ACCOUNTDISABLE = 0x2;

const USER_ACCOUNT_CONTROL = 'userAccountControl';

/** How often a read-modify-write is tried again when another writer got in between. */
const MAX_CONFLICT_RETRIES = 3;

/** The LDAP result code of a delete of a value that is not (any longer) there. */
const NO_SUCH_ATTRIBUTE = 16;

export const ActiveDirectorySettings = Type.Object(
  {
    ...LDAP_CONNECTION_SETTINGS,
    userFilter: Type.Optional(
      Type.String({ minLength: 3, maxLength: 1000, default: '(sAMAccountName={account})', description: 'Finds the account; {account} is replaced by the RFC 4515-escaped name.' }),
    ),
  },
  { additionalProperties: false },
);
export type ActiveDirectorySettings = Static<typeof ActiveDirectorySettings>;

/** The account's DN and userAccountControl, as text (for the delete) and as a number. */
interface AccountControl {
  readonly dn: string;
  readonly text: string;
  readonly value: number;
}

async function readControl(driverId: string, directory: LdapDirectory, client: Client, account: string): Promise<AccountControl> {
  const entry = await directory.findAccount(client, account, [USER_ACCOUNT_CONTROL]);
  const values = attributeValues(entry, USER_ACCOUNT_CONTROL);
  const text = values[0];
  if (values.length !== 1 || text === undefined || !/^\d{1,10}$/.test(text.trim())) {
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${driverId}: ${entry.dn} has no readable userAccountControl (is it a user account, and may the service account read it?)`);
  }
  return { dn: entry.dn, text, value: Number(text.trim()) };
}

/** Whether the ACCOUNTDISABLE bit is set (arithmetic, not `&`: the value may exceed 2^31 in principle). */
function isDisabled(value: number): boolean {
  return Math.floor(value / ACCOUNTDISABLE) % 2 === 1;
}

/** The Active Directory driver type. */
export const activeDirectoryDriver: DriverType<typeof ActiveDirectorySettings, typeof LdapCredentials> = {
  type: 'active-directory',
  description: 'Disable accounts in Active Directory: the ACCOUNTDISABLE bit of userAccountControl, changed atomically over LDAP.',
  actions: ACCOUNT_ACTIONS,
  settings: ActiveDirectorySettings,
  credentials: LdapCredentials,
  create(config, dependencies): Driver {
    const id = config.id;
    const directory = new LdapDirectory(id, { ...config.settings, userFilter: config.settings.userFilter ?? '(sAMAccountName={account})' }, config.credentials.bindPassword, dependencies.logger);
    return {
      id,
      type: 'active-directory',
      actions: ACCOUNT_ACTIONS,
      async execute(action, input, context): Promise<ExecuteResult> {
        const request = readAccountRequest(id, action, input);
        const disable = request.action === 'disable-account';
        return directory.session(context.signal, async (client) => {
          for (let attempt = 0; ; attempt += 1) {
            const control = await readControl(id, directory, client, request.account);
            if (isDisabled(control.value) === disable) {
              return { changed: false, detail: { dn: control.dn, userAccountControl: control.value, disabled: disable } };
            }
            const next = disable ? control.value + ACCOUNTDISABLE : control.value - ACCOUNTDISABLE;
            try {
              await directory.modify(client, control.dn, [
                new Change({ operation: 'delete', modification: new Attribute({ type: USER_ACCOUNT_CONTROL, values: [control.text] }) }),
                new Change({ operation: 'add', modification: new Attribute({ type: USER_ACCOUNT_CONTROL, values: [String(next)] }) }),
              ]);
            } catch (error) {
              if (resultCodeOf(error) !== NO_SUCH_ATTRIBUTE) throw error;
              if (attempt >= MAX_CONFLICT_RETRIES) {
                throw new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `driver ${id}: userAccountControl of ${control.dn} kept changing during the update`, { cause: error });
              }
              context.logger.debug({ driver: id, dn: control.dn, attempt }, 'userAccountControl changed between read and write: reading again');
              continue;
            }
            context.logger.info({ driver: id, dn: control.dn, action }, disable ? 'AD account disabled' : 'AD account enabled');
            return { changed: true, detail: { dn: control.dn, userAccountControl: next, previousUserAccountControl: control.value, disabled: disable } };
          }
        });
      },
      async verify(action, input, context): Promise<VerifyResult> {
        const request = readAccountRequest(id, action, input);
        return directory.session(context.signal, async (client) => {
          const control = await readControl(id, directory, client, request.account);
          const disabled = isDisabled(control.value);
          return { holds: disabled === (request.action === 'disable-account'), detail: { dn: control.dn, userAccountControl: control.value, disabled } };
        });
      },
      async close(): Promise<void> {
        // One session per operation: nothing stays open.
      },
    };
  },
};
