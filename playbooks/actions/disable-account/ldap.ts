/**
 * The `ldap` driver: disables and enables accounts in an OpenLDAP (or any RFC 4511) directory,
 * one of three ways:
 *
 * - `ppolicy`: sets `pwdAccountLockedTime: 000001010000Z`, which the ppolicy overlay reads as
 *   "locked until an administrator removes it" (slapo-ppolicy(5)); enable removes it. Binds fail
 *   only when the password policy that applies to the account has `pwdLockout: TRUE`; verify
 *   sees the attribute, not the policy, so check the policy when setting the driver up.
 * - `attribute`: sets a configured attribute to a configured value (`employeeType: disabled`,
 *   `loginShell: /usr/sbin/nologin`) for applications that read it; enable puts the configured
 *   "enabled" value back or deletes the attribute. Nothing is stored locally.
 * - `group`: adds the account's DN to a "disabled users" group (member or uniqueMember) that
 *   the applications deny; enable removes it. A groupOfNames must keep one member, so give it a
 *   placeholder member.
 *
 * The account is found with `userFilter` under `baseDn`: exactly one entry, else the step is
 * refused. Every operation is idempotent (already locked → `changed: false`) and verify reads
 * the state back. Sessions end where the directory's clients check it: LDAP has no sessions.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Attribute, Change, type Client } from 'ldapts';
import { UserError } from '../../../core/errors.js';
import type { Driver, DriverType, ExecuteResult, VerifyResult } from '../types.js';
import { ACCOUNT_ACTIONS, readAccountRequest } from './input.js';
import { attributeValues, LDAP_CONNECTION_SETTINGS, LdapCredentials, LdapDirectory, resultCodeOf } from './ldap-directory.js';

/** The ppolicy value for "permanently locked until an administrator removes it". */
export const PERMANENTLY_LOCKED = '000001010000Z';

/** Attributes mode `attribute` refuses to write (compared lower-case). */
const FORBIDDEN_ATTRIBUTES = new Set(['userpassword', 'unicodepwd', 'pwdaccountlockedtime', 'objectclass', 'uid', 'samaccountname']);

/** An LDAP attribute description: a name (letters, digits, hyphens) or an OID. */
const AttributeName = Type.String({ pattern: '^(?:[A-Za-z][A-Za-z0-9-]{0,127}|[0-9]+(?:\\.[0-9]+){1,63})$' });

export const LdapSettings = Type.Object(
  {
    ...LDAP_CONNECTION_SETTINGS,
    userFilter: Type.Optional(Type.String({ minLength: 3, maxLength: 1000, default: '(uid={account})', description: 'Finds the account; {account} is replaced by the RFC 4515-escaped name.' })),
    mode: Type.Optional(
      Type.Union([Type.Literal('ppolicy'), Type.Literal('attribute'), Type.Literal('group')], { default: 'ppolicy', description: 'How an account is disabled.' }),
    ),
    attribute: Type.Optional(
      Type.Object(
        {
          name: AttributeName,
          disabledValue: Type.String({ minLength: 1, maxLength: 1000 }),
          enabledValue: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Set on enable; without it enable deletes the attribute.' })),
        },
        { additionalProperties: false, description: 'With mode attribute.' },
      ),
    ),
    group: Type.Optional(
      Type.Object(
        {
          dn: Type.String({ minLength: 1, maxLength: 1000 }),
          memberAttribute: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('uniqueMember')], { default: 'member' })),
        },
        { additionalProperties: false, description: 'With mode group: the group of disabled users.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type LdapSettings = Static<typeof LdapSettings>;

/** One way of disabling: read the state, change it, tell whether it is disabled. */
interface LdapMode {
  readonly name: string;
  /** Attributes to read with the account. */
  readonly attributes: readonly string[];
  isDisabled(client: Client, entry: { dn: string; values: (name: string) => string[] }): Promise<boolean>;
  /** Whether the account is fully enabled, when that is more than "not disabled" (a temporary ppolicy lockout is neither). */
  isEnabled?(entry: { dn: string; values: (name: string) => string[] }): boolean;
  /** Sets the asked state; returns false when it already was (a race lost to another writer counts as already). */
  apply(client: Client, dn: string, disable: boolean): Promise<boolean>;
}

function ppolicyMode(directory: LdapDirectory): LdapMode {
  return {
    name: 'ppolicy',
    // Operational: only returned when asked for by name.
    attributes: ['pwdAccountLockedTime'],
    isDisabled: async (_client, entry) => entry.values('pwdAccountLockedTime').includes(PERMANENTLY_LOCKED),
    // Enabled means no lock at all: enable also lifts a temporary lockout after failed binds.
    isEnabled: (entry) => entry.values('pwdAccountLockedTime').length === 0,
    apply: async (client, dn, disable) => {
      // Replace with no values deletes the attribute and, unlike delete, is no error when it is gone already.
      const values = disable ? [PERMANENTLY_LOCKED] : [];
      await directory.modify(client, dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values }) })]);
      return true;
    },
  };
}

function attributeMode(directory: LdapDirectory, settings: NonNullable<LdapSettings['attribute']>): LdapMode {
  return {
    name: 'attribute',
    attributes: [settings.name],
    isDisabled: async (_client, entry) => entry.values(settings.name).includes(settings.disabledValue),
    apply: async (client, dn, disable) => {
      const values = disable ? [settings.disabledValue] : settings.enabledValue !== undefined ? [settings.enabledValue] : [];
      await directory.modify(client, dn, [new Change({ operation: 'replace', modification: new Attribute({ type: settings.name, values }) })]);
      return true;
    },
  };
}

/** LDAP result codes of an add of a value already there and a delete of a value not there. */
const TYPE_OR_VALUE_EXISTS = 20;
const NO_SUCH_ATTRIBUTE = 16;
/** The LDAP result code of a change that would break the entry's object class (a groupOfNames without members). */
const OBJECT_CLASS_VIOLATION = 65;

function groupMode(directory: LdapDirectory, settings: NonNullable<LdapSettings['group']>, driverId: string): LdapMode {
  const memberAttribute = settings.memberAttribute ?? 'member';
  return {
    name: 'group',
    attributes: ['1.1'],
    isDisabled: async (client, entry) => {
      // Compare, not read: the server matches DNs by distinguishedNameMatch, and a large group is not transferred.
      try {
        return await client.compare(settings.dn, memberAttribute, entry.dn);
      } catch (error) {
        if (resultCodeOf(error) === NO_SUCH_ATTRIBUTE) return false;
        throw error;
      }
    },
    apply: async (client, dn, disable) => {
      try {
        await directory.modify(client, settings.dn, [new Change({ operation: disable ? 'add' : 'delete', modification: new Attribute({ type: memberAttribute, values: [dn] }) })]);
        return true;
      } catch (error) {
        const resultCode = resultCodeOf(error);
        if (resultCode === (disable ? TYPE_OR_VALUE_EXISTS : NO_SUCH_ATTRIBUTE)) return false;
        if (resultCode === OBJECT_CLASS_VIOLATION && !disable) {
          throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${driverId}: cannot remove the last member of ${settings.dn} (give the group a placeholder member)`, { cause: error });
        }
        throw error;
      }
    },
  };
}

/** Reads the account and whether it is disabled or enabled (a ppolicy account may be neither), in one bound session. */
async function readState(directory: LdapDirectory, mode: LdapMode, client: Client, account: string): Promise<{ dn: string; disabled: boolean; enabled: boolean }> {
  const entry = await directory.findAccount(client, account, mode.attributes);
  const view = { dn: entry.dn, values: (name: string) => attributeValues(entry, name) };
  const disabled = await mode.isDisabled(client, view);
  return { dn: entry.dn, disabled, enabled: mode.isEnabled ? mode.isEnabled(view) : !disabled };
}

/** Whether the state read is the one `disable` asks for. */
function inAskedState(state: { disabled: boolean; enabled: boolean }, disable: boolean): boolean {
  return disable ? state.disabled : state.enabled;
}

/** A driver instance on a directory and a mode. */
function buildDriver(id: string, directory: LdapDirectory, mode: LdapMode): Driver {
  return {
    id,
    type: 'ldap',
    actions: ACCOUNT_ACTIONS,
    async execute(action, input, context): Promise<ExecuteResult> {
      const request = readAccountRequest(id, action, input);
      const disable = request.action === 'disable-account';
      return directory.session(context.signal, async (client) => {
        const state = await readState(directory, mode, client, request.account);
        if (inAskedState(state, disable)) return { changed: false, detail: { dn: state.dn, mode: mode.name, disabled: disable } };
        const changed = await mode.apply(client, state.dn, disable);
        context.logger.info({ driver: id, dn: state.dn, mode: mode.name, action }, disable ? 'LDAP account disabled' : 'LDAP account enabled');
        return { changed, detail: { dn: state.dn, mode: mode.name, disabled: disable } };
      });
    },
    async verify(action, input, context): Promise<VerifyResult> {
      const request = readAccountRequest(id, action, input);
      return directory.session(context.signal, async (client) => {
        const state = await readState(directory, mode, client, request.account);
        return { holds: inAskedState(state, request.action === 'disable-account'), detail: { dn: state.dn, mode: mode.name, disabled: state.disabled } };
      });
    },
    async close(): Promise<void> {
      // One session per operation: nothing stays open.
    },
  };
}

/** The OpenLDAP driver type. */
export const ldapDriver: DriverType<typeof LdapSettings, typeof LdapCredentials> = {
  type: 'ldap',
  description: 'Disable accounts in OpenLDAP: ppolicy pwdAccountLockedTime, a configured attribute value, or membership of a "disabled users" group.',
  actions: ACCOUNT_ACTIONS,
  settings: LdapSettings,
  credentials: LdapCredentials,
  create(config, dependencies) {
    const settings = config.settings;
    const directory = new LdapDirectory(config.id, { ...settings, userFilter: settings.userFilter ?? '(uid={account})' }, config.credentials.bindPassword, dependencies.logger);
    const modeName = settings.mode ?? 'ppolicy';
    let mode: LdapMode;
    switch (modeName) {
      case 'ppolicy':
        mode = ppolicyMode(directory);
        break;
      case 'attribute':
        if (!settings.attribute) throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${config.id}: mode attribute needs settings.attribute (name, disabledValue)`);
        // Overwriting a password cannot be undone by enable (nothing is stored), and the lock attribute has its own mode.
        if (FORBIDDEN_ATTRIBUTES.has(settings.attribute.name.toLowerCase())) {
          throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${config.id}: attribute ${settings.attribute.name} cannot be used by mode attribute (use mode ppolicy to lock)`);
        }
        mode = attributeMode(directory, settings.attribute);
        break;
      case 'group':
        if (!settings.group) throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${config.id}: mode group needs settings.group (dn)`);
        mode = groupMode(directory, settings.group, config.id);
        break;
    }
    return buildDriver(config.id, directory, mode);
  },
};
