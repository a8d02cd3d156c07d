/**
 * create-ticket in ServiceNow through the Table API (`/api/now/table/<table>`, incident by
 * default). Authentication: basic (an integration user with the `itil` role, or a role allowed to
 * create and read records of the table) or a Bearer token (OAuth).
 *
 * Idempotent by correlation id: the ticket is created with `correlation_id` = the step's reference
 * (see {@link correlationKey}) and `correlation_display: Watchpost`, and each execute first looks
 * for a record with that correlation id (`GET ...?sysparm_query=correlation_id=<key>&sysparm_limit=1`),
 * so a retry after a lost answer finds the ticket instead of opening a second one (`changed: false`).
 *
 * Severity maps to impact and urgency (1 high … 3 low), which ServiceNow's default priority
 * lookup turns into P1 (critical) … P5 (informational).
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import type { CreateTicketInput } from '../definitions.js';
import { basicAuth, createHttpClient, HttpUrl, joinUrl, TimeoutSetting, TlsSettings } from '../http.js';
import type { ActionId, Driver, DriverContext, DriverType, ExecuteResult } from '../types.js';
import { correlationKey } from './reference.js';

export const ServiceNowSettings = Type.Object(
  {
    /** `https://<instance>.service-now.com` */
    instanceUrl: HttpUrl,
    table: Type.String({ pattern: '^[a-z][a-z0-9_]{0,79}$', default: 'incident' }),
    /** sys_id or name of the assignment group. */
    assignmentGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** sys_id or user name of the caller. */
    callerId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    timeoutMs: TimeoutSetting,
    tls: TlsSettings,
  },
  { additionalProperties: false },
);
export type ServiceNowSettings = Static<typeof ServiceNowSettings>;

export const ServiceNowCredentials = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** An OAuth access token, sent as Bearer (instead of user and password). */
    token: Type.Optional(Type.String({ minLength: 8, maxLength: 8192 })),
  },
  { additionalProperties: false },
);
export type ServiceNowCredentials = Static<typeof ServiceNowCredentials>;

/** Impact and urgency per severity (1 = high, 3 = low). */
export const SERVICENOW_IMPACT_URGENCY: Readonly<Record<CreateTicketInput['severity'], { impact: string; urgency: string }>> = {
  critical: { impact: '1', urgency: '1' },
  high: { impact: '1', urgency: '2' },
  medium: { impact: '2', urgency: '2' },
  low: { impact: '3', urgency: '2' },
  informational: { impact: '3', urgency: '3' },
};

interface TableRecord {
  readonly sys_id?: string;
  readonly number?: string;
}

export const serviceNowDriver: DriverType<typeof ServiceNowSettings, typeof ServiceNowCredentials> = {
  type: 'servicenow',
  description: 'Opens a ServiceNow incident through the Table API, found again by correlation id so retries never duplicate it.',
  actions: ['create-ticket'],
  settings: ServiceNowSettings,
  credentials: ServiceNowCredentials,
  create(config): Driver {
    const { settings, credentials } = config;
    let authorization: string;
    if (credentials.token !== undefined && credentials.user === undefined && credentials.password === undefined) {
      authorization = `Bearer ${credentials.token}`;
    } else if (credentials.token === undefined && credentials.user !== undefined && credentials.password !== undefined) {
      authorization = basicAuth(credentials.user, credentials.password);
    } else {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `servicenow driver ${config.id}: give credentials.user and credentials.password, or credentials.token`);
    }
    const secrets = [credentials.password, credentials.token, authorization].filter((value): value is string => value !== undefined);
    const http = createHttpClient({ timeoutMs: settings.timeoutMs, tls: settings.tls, secrets });
    const tablePath = `/api/now/table/${settings.table}`;
    const headers = { authorization };
    const recordUrl = (sysId: string): string => joinUrl(settings.instanceUrl, `/nav_to.do`, { uri: `${settings.table}.do?sys_id=${sysId}` }).toString();

    const detail = (record: TableRecord): Record<string, unknown> => ({
      ...(record.number !== undefined ? { number: record.number } : {}),
      ...(record.sys_id !== undefined ? { sys_id: record.sys_id, url: recordUrl(record.sys_id) } : {}),
    });

    return {
      id: config.id,
      type: 'servicenow',
      actions: ['create-ticket'],
      async execute(action: ActionId, input: unknown, context: DriverContext): Promise<ExecuteResult> {
        if (action !== 'create-ticket') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the servicenow driver does not serve ${action}`);
        const ticket = input as CreateTicketInput;
        const key = correlationKey(ticket.reference);
        const found = await http.request({
          method: 'GET',
          url: joinUrl(settings.instanceUrl, tablePath, { sysparm_query: `correlation_id=${key}`, sysparm_limit: '1', sysparm_fields: 'sys_id,number' }),
          headers,
          signal: context.signal,
        });
        const existing = found.json<{ result?: TableRecord[] }>().result?.[0];
        if (existing?.sys_id !== undefined) return { changed: false, detail: detail(existing) };

        const description = ticket.link ? `${ticket.description}\n\n${ticket.link}` : ticket.description;
        const record: Record<string, string> = {
          short_description: ticket.title.slice(0, 160),
          description,
          ...SERVICENOW_IMPACT_URGENCY[ticket.severity],
          correlation_id: key,
          correlation_display: 'Watchpost',
        };
        if (settings.assignmentGroup !== undefined) record.assignment_group = settings.assignmentGroup;
        if (settings.callerId !== undefined) record.caller_id = settings.callerId;
        if (settings.category !== undefined) record.category = settings.category;
        const created = await http.request({ method: 'POST', url: joinUrl(settings.instanceUrl, tablePath, { sysparm_fields: 'sys_id,number' }), headers, json: record, signal: context.signal });
        const result = created.json<{ result?: TableRecord }>().result;
        if (result?.sys_id === undefined) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `ServiceNow answered HTTP ${created.status} without a sys_id`);
        return { changed: true, detail: detail(result) };
      },
      async close() {
        http.close();
      },
    };
  },
};
