/**
 * notify in Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request
 * is received"; the Office 365 connectors' incoming webhooks are retired). The URL carries its
 * own signature (`sig=`), so it is a credential: `credentials.webhookUrl`, never in errors.
 *
 * The payload is the message-with-attachments shape Workflows expects, one Adaptive Card
 * (https://adaptivecards.io, version 1.4, which Teams renders): the subject in the severity's
 * colour, the severity, the text (Adaptive Card TextBlocks render a Markdown subset; they are not
 * HTML, so nothing needs escaping beyond keeping the size bounded) and an "Open in Watchpost"
 * action. Workflows answers 202 Accepted: the post happens after the answer, so a flow that fails
 * later is not seen here. No idempotency key: a retried step may post twice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import type { NotifyInput } from '../definitions.js';
import { configuredUrl, createHttpClient, TimeoutSetting } from '../http.js';
import type { ActionId, Driver, DriverContext, DriverType } from '../types.js';
import { oneLine, safeLink, SEVERITY_CARD_COLOURS } from './message.js';

export const TeamsSettings = Type.Object({ timeoutMs: TimeoutSetting }, { additionalProperties: false });
export type TeamsSettings = Static<typeof TeamsSettings>;

export const TeamsCredentials = Type.Object(
  { webhookUrl: Type.String({ pattern: '^https://[^\\s]+$', minLength: 16, maxLength: 4000, description: 'The HTTP POST URL of the Teams Workflows trigger.' }) },
  { additionalProperties: false },
);
export type TeamsCredentials = Static<typeof TeamsCredentials>;

/** Teams refuses cards over about 28 KB: keep the text well below. */
const MAX_TEXT = 15_000;

/** The Workflows payload for a notification. */
export function teamsPayload(input: NotifyInput): Record<string, unknown> {
  const link = safeLink(input.link);
  const severity = input.severity ?? 'informational';
  const body: unknown[] = [
    { type: 'TextBlock', text: oneLine(input.subject, 300), weight: 'Bolder', size: 'Medium', wrap: true, color: SEVERITY_CARD_COLOURS[severity] },
  ];
  if (input.severity) body.push({ type: 'FactSet', facts: [{ title: 'Severity', value: input.severity }] });
  body.push({ type: 'TextBlock', text: input.message.slice(0, MAX_TEXT), wrap: true });
  const content: Record<string, unknown> = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body };
  if (link) content.actions = [{ type: 'Action.OpenUrl', title: 'Open in Watchpost', url: link }];
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

export const teamsDriver: DriverType<typeof TeamsSettings, typeof TeamsCredentials> = {
  type: 'teams',
  description: 'Posts notifications to a Microsoft Teams channel through a Workflows webhook (Adaptive Card).',
  actions: ['notify'],
  settings: TeamsSettings,
  credentials: TeamsCredentials,
  create(config): Driver {
    const url = configuredUrl(config.credentials.webhookUrl, 'credentials.webhookUrl');
    const http = createHttpClient({ timeoutMs: config.settings.timeoutMs, secrets: [config.credentials.webhookUrl, url.search.slice(1), ...url.searchParams.values()] });
    return {
      id: config.id,
      type: 'teams',
      actions: ['notify'],
      async execute(action: ActionId, input: unknown, context: DriverContext) {
        if (action !== 'notify') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the teams driver does not serve ${action}`);
        const response = await http.request({ method: 'POST', url: config.credentials.webhookUrl, json: teamsPayload(input as NotifyInput), label: 'POST Teams webhook', signal: context.signal });
        return { changed: true, detail: { status: response.status } };
      },
      async close() {
        http.close();
      },
    };
  },
};
