/**
 * notify in Slack through an incoming webhook (https://api.slack.com/messaging/webhooks). The
 * webhook URL is a credential (whoever has it can post to the channel), so it is configured under
 * `credentials.webhookUrl` and errors name the request "Slack webhook", never the URL.
 *
 * The message: the subject as a header block, the text as a section (Slack's mrkdwn; user text is
 * escaped for `& < >` so a username cannot ping `<!channel>`), a link button to the console, and
 * an attachment bar in the severity's colour. Slack answers 200 `ok`; errors are 4xx with a short
 * reason (`invalid_payload`, `no_service`, `channel_is_archived`), mapped as usual. Slack webhooks
 * take no idempotency key: a retried step may post twice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import type { NotifyInput } from '../definitions.js';
import { configuredUrl, createHttpClient, TimeoutSetting } from '../http.js';
import type { ActionId, Driver, DriverContext, DriverType } from '../types.js';
import { oneLine, safeLink, SEVERITY_COLOURS } from './message.js';

export const SlackSettings = Type.Object({ timeoutMs: TimeoutSetting }, { additionalProperties: false });
export type SlackSettings = Static<typeof SlackSettings>;

export const SlackCredentials = Type.Object(
  { webhookUrl: Type.String({ pattern: '^https://[^\\s]+$', minLength: 16, maxLength: 2000, description: 'https://hooks.slack.com/services/…' }) },
  { additionalProperties: false },
);
export type SlackCredentials = Static<typeof SlackCredentials>;

/** Slack's section text limit is 3000 characters. */
const MAX_SECTION = 2900;

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The webhook payload for a notification. */
export function slackPayload(input: NotifyInput): Record<string, unknown> {
  const link = safeLink(input.link);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: oneLine(input.subject, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(input.message.slice(0, MAX_SECTION)) } },
  ];
  if (input.severity) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Severity: *${input.severity}*` }] });
  if (link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Watchpost' }, url: link }] });
  return {
    // The fallback text shows in notifications and for clients without blocks.
    text: oneLine(`${input.severity ? `[${input.severity}] ` : ''}${input.subject}`, 300),
    attachments: [{ color: `#${SEVERITY_COLOURS[input.severity ?? 'informational']}`, blocks }],
  };
}

export const slackDriver: DriverType<typeof SlackSettings, typeof SlackCredentials> = {
  type: 'slack',
  description: 'Posts notifications to a Slack channel through an incoming webhook.',
  actions: ['notify'],
  settings: SlackSettings,
  credentials: SlackCredentials,
  create(config): Driver {
    const http = createHttpClient({ timeoutMs: config.settings.timeoutMs, secrets: [config.credentials.webhookUrl, configuredUrl(config.credentials.webhookUrl, 'credentials.webhookUrl').pathname] });
    return {
      id: config.id,
      type: 'slack',
      actions: ['notify'],
      async execute(action: ActionId, input: unknown, context: DriverContext) {
        if (action !== 'notify') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the slack driver does not serve ${action}`);
        const response = await http.request({ method: 'POST', url: config.credentials.webhookUrl, json: slackPayload(input as NotifyInput), label: 'POST Slack webhook', signal: context.signal });
        return { changed: true, detail: { status: response.status } };
      },
      async close() {
        http.close();
      },
    };
  },
};
