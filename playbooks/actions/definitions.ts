/**
 * The actions and their inputs. A step's `with:` is templated, then checked against these
 * schemas; the runner adds what safety decides (the TTL of a block). Addresses arrive here as
 * text and are parsed again by every driver before use (see `address.ts`).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ActionDefinition, ActionId } from './types.js';

const Reason = Type.String({ minLength: 1, maxLength: 1000, description: 'Why: shown on the device where it has a comment field, in the audit log and the timeline.' });

/** An IPv4/IPv6 address or CIDR prefix, as text; parsed by `parseAddress`. */
const Address = Type.String({ minLength: 2, maxLength: 64, description: 'An IPv4 or IPv6 address, or a CIDR prefix.' });

/**
 * An account name: a local login, an LDAP uid/sAMAccountName, or a user principal name. No
 * control characters, no LDAP filter or DN metacharacters that could change a query's meaning
 * (drivers escape anyway).
 */
const Account = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f*()\\\\,=+<>#;"]+$', description: 'The account name.' });

export const BlockIpInput = Type.Object(
  {
    address: Address,
    ttlSeconds: Type.Integer({
      minimum: 1,
      maximum: 366 * 24 * 3600,
      description: 'Set by the runner from the safety policy (default 4 h, doubling per repeat, capped); a playbook asks for less with `duration`.',
    }),
    reason: Reason,
  },
  { additionalProperties: false },
);
export type BlockIpInput = Static<typeof BlockIpInput>;

export const UnblockIpInput = Type.Object({ address: Address, reason: Type.Optional(Reason) }, { additionalProperties: false });
export type UnblockIpInput = Static<typeof UnblockIpInput>;

export const DisableAccountInput = Type.Object(
  {
    account: Account,
    ttlSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600, description: 'Set by the runner: the account is enabled again when it ends, like a block.' }),
    ),
    reason: Reason,
  },
  { additionalProperties: false },
);
export type DisableAccountInput = Static<typeof DisableAccountInput>;

export const EnableAccountInput = Type.Object({ account: Account, reason: Type.Optional(Reason) }, { additionalProperties: false });
export type EnableAccountInput = Static<typeof EnableAccountInput>;

export const NotifyInput = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 300, description: 'The e-mail subject or the chat message title.' }),
    /** Plain text, or Markdown for chat drivers that render it. */
    message: Type.String({ minLength: 1, maxLength: 20_000, description: 'Plain text, or Markdown for chat drivers that render it.' }),
    severity: Type.Optional(Type.Union(['informational', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)), { description: 'Colours the chat card.' })),
    /** A link back to the alert or incident in the console. */
    link: Type.Optional(Type.String({ maxLength: 2000, description: 'A link back to the alert or incident in the console.' })),
    to: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 320 }), { maxItems: 50, description: "E-mail recipients, replacing the driver's configured list." })),
  },
  { additionalProperties: false },
);
export type NotifyInput = Static<typeof NotifyInput>;

export const CreateTicketInput = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 300, description: 'The ticket subject.' }),
    description: Type.String({ minLength: 1, maxLength: 20_000, description: 'The ticket body.' }),
    severity: Type.Union(['informational', 'low', 'medium', 'high', 'critical'].map((s) => Type.Literal(s)), { description: 'Mapped to the service\'s urgency/impact or priority.' }),
    reference: Type.String({ minLength: 1, maxLength: 200, description: 'The incident or alert id: sent as the correlation id, so a retry finds the ticket it made.' }),
    link: Type.Optional(Type.String({ maxLength: 2000, description: 'A link back to the incident in the console.' })),
  },
  { additionalProperties: false },
);
export type CreateTicketInput = Static<typeof CreateTicketInput>;

/** Every action, by id. */
export const ACTIONS: Readonly<Record<ActionId, ActionDefinition>> = {
  'block-ip': {
    id: 'block-ip',
    description: 'Block an address or prefix on a firewall, an ipset, an alias table or the blocklist feed, for a TTL.',
    input: BlockIpInput,
    undoneBy: 'unblock-ip',
    blockKind: 'ip',
  },
  'unblock-ip': { id: 'unblock-ip', description: 'Remove a block.', input: UnblockIpInput },
  'disable-account': {
    id: 'disable-account',
    description: 'Lock an account in LDAP, Active Directory, on a Linux host or at an identity provider, and end its sessions where the driver can.',
    input: DisableAccountInput,
    undoneBy: 'enable-account',
    blockKind: 'account',
  },
  'enable-account': { id: 'enable-account', description: 'Unlock an account.', input: EnableAccountInput },
  notify: { id: 'notify', description: 'Send a message by e-mail, Slack, Microsoft Teams or a webhook.', input: NotifyInput },
  'create-ticket': { id: 'create-ticket', description: 'Open an incident ticket in ServiceNow or Freshservice.', input: CreateTicketInput },
};

/** Whether `id` names an action. */
export function isActionId(id: string): id is ActionId {
  return Object.hasOwn(ACTIONS, id);
}
