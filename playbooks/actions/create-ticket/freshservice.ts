/**
 * create-ticket in Freshservice through API v2 (`POST /api/v2/tickets`), authenticated with an
 * agent's API key as basic-auth user and `X` as password.
 *
 * Idempotency: Freshservice tickets take no correlation id, so each ticket carries the tag
 * `watchpost:<key>` ({@link correlationKey} of the reference) and each execute first filters for it
 * (`GET /api/v2/tickets/filter?query="tag:'watchpost:<key>'"`; the filter endpoint accepts `tag`
 * among its fields). Limitation: the filter is served by a search index that trails ticket
 * creation by some seconds, so a retry within that window may still open a second ticket; the
 * runner's backoff makes that rare, and the shared tag makes duplicates easy to merge.
 *
 * Severity maps to priority (1 low … 4 urgent); status is 2 (open). The description is HTML in
 * Freshservice, so the text (from alerts: attacker-controlled) is escaped and line breaks become
 * `<br>`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import type { CreateTicketInput } from '../definitions.js';
import { basicAuth, createHttpClient, HttpUrl, joinUrl, TimeoutSetting, TlsSettings } from '../http.js';
import { escapeHtml, safeLink } from '../notify/message.js';
import type { ActionId, Driver, DriverContext, DriverType, ExecuteResult } from '../types.js';
import { correlationKey } from './reference.js';

export const FreshserviceSettings = Type.Object(
  {
    /** `https://<domain>.freshservice.com` */
    url: HttpUrl,
    /** The requester of the tickets (an e-mail Freshservice knows or will create as requester). */
    requesterEmail: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
    groupId: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Ticket source id (1 e-mail, 2 portal, 3 phone, …). */
    source: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    timeoutMs: TimeoutSetting,
    tls: TlsSettings,
  },
  { additionalProperties: false },
);
export type FreshserviceSettings = Static<typeof FreshserviceSettings>;

export const FreshserviceCredentials = Type.Object({ apiKey: Type.String({ minLength: 8, maxLength: 512 }) }, { additionalProperties: false });
export type FreshserviceCredentials = Static<typeof FreshserviceCredentials>;

/** Freshservice priority per severity: 1 low, 2 medium, 3 high, 4 urgent. */
export const FRESHSERVICE_PRIORITY: Readonly<Record<CreateTicketInput['severity'], number>> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
  informational: 1,
};

/** The tag a ticket is found again by. */
export function freshserviceTag(reference: string): string {
  return `watchpost:${correlationKey(reference)}`;
}

interface Ticket {
  readonly id?: number;
}

function descriptionHtml(ticket: CreateTicketInput): string {
  const link = safeLink(ticket.link);
  const text = escapeHtml(ticket.description).replace(/\r?\n/g, '<br>');
  return link ? `${text}<br><br><a href="${escapeHtml(link)}">Open in Watchpost</a>` : text;
}

export const freshserviceDriver: DriverType<typeof FreshserviceSettings, typeof FreshserviceCredentials> = {
  type: 'freshservice',
  description: 'Opens a Freshservice ticket through API v2, tagged with the reference so retries find it.',
  actions: ['create-ticket'],
  settings: FreshserviceSettings,
  credentials: FreshserviceCredentials,
  create(config): Driver {
    const { settings } = config;
    const authorization = basicAuth(config.credentials.apiKey, 'X');
    const http = createHttpClient({ timeoutMs: settings.timeoutMs, tls: settings.tls, secrets: [config.credentials.apiKey, authorization] });
    const headers = { authorization };
    const ticketUrl = (id: number): string => joinUrl(settings.url, `/a/tickets/${id}`).toString();

    return {
      id: config.id,
      type: 'freshservice',
      actions: ['create-ticket'],
      async execute(action: ActionId, input: unknown, context: DriverContext): Promise<ExecuteResult> {
        if (action !== 'create-ticket') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the freshservice driver does not serve ${action}`);
        const ticket = input as CreateTicketInput;
        const tag = freshserviceTag(ticket.reference);
        // The filter query is wrapped in double quotes, values in single quotes (the API's syntax).
        const found = await http.request({ method: 'GET', url: joinUrl(settings.url, '/api/v2/tickets/filter', { query: `"tag:'${tag}'"` }), headers, signal: context.signal });
        const existing = found.json<{ tickets?: Ticket[] }>().tickets?.find((candidate) => typeof candidate.id === 'number');
        if (existing?.id !== undefined) return { changed: false, detail: { id: existing.id, url: ticketUrl(existing.id) } };

        const body: Record<string, unknown> = {
          subject: ticket.title,
          description: descriptionHtml(ticket),
          email: settings.requesterEmail,
          priority: FRESHSERVICE_PRIORITY[ticket.severity],
          status: 2,
          tags: ['watchpost', tag],
        };
        if (settings.groupId !== undefined) body.group_id = settings.groupId;
        if (settings.source !== undefined) body.source = settings.source;
        const created = await http.request({ method: 'POST', url: joinUrl(settings.url, '/api/v2/tickets'), headers, json: body, signal: context.signal });
        const id = created.json<{ ticket?: Ticket }>().ticket?.id;
        if (typeof id !== 'number') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `Freshservice answered HTTP ${created.status} without a ticket id`);
        return { changed: true, detail: { id, url: ticketUrl(id) } };
      },
      async close() {
        http.close();
      },
    };
  },
};
