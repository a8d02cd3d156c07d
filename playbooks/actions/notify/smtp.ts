/**
 * notify by e-mail over SMTP, with nodemailer: one message per notification, a text body and a
 * simple HTML alternative, to the input's recipients or the configured ones.
 *
 * The Message-ID derives from the step's idempotency key, so a retried step (the first attempt
 * may have been delivered before the worker died) sends a message with the same Message-ID and
 * mail clients and archives show it as the duplicate it is.
 *
 * Errors: no connection, a timeout, a TLS handshake that failed, or an SMTP 4xx answer (a
 * temporary failure, greylisting) are WATCHPOST_ERR_DRIVER_UNAVAILABLE (retried); an SMTP 5xx
 * (authentication refused, every recipient rejected with 550) or a certificate that does not verify
 * is WATCHPOST_ERR_DRIVER_REJECTED. Some recipients rejected while others accepted is a success
 * whose detail lists both.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { OperationalError, UserError } from '../../../core/errors.js';
import type { NotifyInput } from '../definitions.js';
import { maskSecrets, TlsSettings } from '../http.js';
import type { ActionId, Driver, DriverContext, DriverType, ExecuteResult } from '../types.js';
import { escapeHtml, oneLine, safeLink } from './message.js';

const Mailbox = Type.String({ minLength: 3, maxLength: 320 });

export const SmtpSettings = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253 }),
    /** 587 (submission with STARTTLS), 465 (implicit TLS, with `secure: true`) or 25. @defaultValue 587 */
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
    /** Implicit TLS from the first byte (port 465). @defaultValue false */
    secure: Type.Boolean({ default: false }),
    /** Refuse to send unless the server offers STARTTLS (without it, STARTTLS is used when offered). @defaultValue false */
    requireTLS: Type.Boolean({ default: false }),
    tls: TlsSettings,
    /** The sender, `Watchpost <watchpost@example.net>`. */
    from: Mailbox,
    /** Recipients when the step names none. */
    to: Type.Array(Mailbox, { default: [], maxItems: 50 }),
    subjectPrefix: Type.String({ maxLength: 50, default: '[Watchpost] ' }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 20_000, description: 'Milliseconds for connecting, the greeting and each SMTP command.' }),
  },
  { additionalProperties: false },
);
export type SmtpSettings = Static<typeof SmtpSettings>;

export const SmtpCredentials = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type SmtpCredentials = Static<typeof SmtpCredentials>;

/** nodemailer's connection-level error codes: the server was not reached or the session broke. */
const UNREACHABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL']);

interface SmtpError {
  readonly code?: string;
  readonly responseCode?: number;
  readonly message?: string;
}

/** The host part of the sender, for the Message-ID; `watchpost.invalid` when there is none. */
function senderDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'watchpost.invalid';
}

function htmlBody(input: NotifyInput): string {
  const link = safeLink(input.link);
  return [
    '<!doctype html><html><body>',
    `<h3>${escapeHtml(input.subject)}</h3>`,
    input.severity ? `<p><strong>Severity:</strong> ${escapeHtml(input.severity)}</p>` : '',
    `<pre style="white-space:pre-wrap;font-family:inherit">${escapeHtml(input.message)}</pre>`,
    link ? `<p><a href="${escapeHtml(link)}">Open in Watchpost</a></p>` : '',
    '</body></html>',
  ].join('');
}

function textBody(input: NotifyInput): string {
  const lines = [input.message];
  if (input.severity) lines.unshift(`Severity: ${input.severity}`, '');
  const link = safeLink(input.link);
  if (link) lines.push('', link);
  return lines.join('\n');
}

/** A composed message for {@link smtpSender}: the weekly report with its PDF, for instance. */
export interface SmtpMessage {
  readonly to: readonly string[];
  /** Sent as given (on one line, at most 400 characters): the notify prefix is not added. */
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** Content in memory only: the transport reads no files and fetches no URLs. */
  readonly attachments?: readonly { readonly filename: string; readonly content: Buffer; readonly contentType: string }[];
}

/** What the server accepted. Recipients it refused while others were accepted are `rejected`. */
export interface SmtpSent {
  readonly messageId: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
}

/**
 * Sends a message through a configured smtp driver instance.
 * `idempotencyKey` decides the Message-ID: the same key sends the same Message-ID.
 */
export type SmtpSend = (message: SmtpMessage, context: { readonly idempotencyKey: string; readonly signal: AbortSignal }) => Promise<SmtpSent>;

class SmtpDriver implements Driver {
  readonly type = 'smtp';
  readonly actions: readonly ActionId[] = ['notify'];
  private transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | undefined;
  private readonly secrets: string[];

  constructor(
    readonly id: string,
    private readonly settings: SmtpSettings,
    private readonly credentials: SmtpCredentials,
  ) {
    this.secrets = [credentials.password, credentials.password && credentials.user ? Buffer.from(`\u0000${credentials.user}\u0000${credentials.password}`).toString('base64') : undefined].filter(
      (value): value is string => value !== undefined,
    );
  }

  // Built on first use: the CA file is read then, so `watchpost validate` stays offline.
  private transporter(): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    this.transport ??= (async () => {
      const { settings, credentials } = this;
      let ca: string | undefined;
      if (settings.tls.caFile !== undefined) {
        try {
          ca = await readFile(settings.tls.caFile, 'utf8');
        } catch (error) {
          throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `cannot read the CA file ${settings.tls.caFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
        }
      }
      return nodemailer.createTransport({
        host: settings.host,
        port: settings.port,
        secure: settings.secure,
        requireTLS: settings.requireTLS,
        tls: { rejectUnauthorized: settings.tls.rejectUnauthorized, ...(ca !== undefined ? { ca: [...rootCertificates, ca] } : {}) },
        ...(credentials.user !== undefined ? { auth: { user: credentials.user, pass: credentials.password ?? '' } } : {}),
        connectionTimeout: settings.timeoutMs,
        greetingTimeout: settings.timeoutMs,
        socketTimeout: settings.timeoutMs,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    })();
    this.transport.catch(() => {
      this.transport = undefined;
    });
    return this.transport;
  }

  private failure(error: unknown): Error {
    const failure = (error ?? {}) as SmtpError;
    const message = `SMTP ${this.settings.host}:${this.settings.port}: ${maskSecrets(oneLine(String(failure.message ?? 'failed'), 300), this.secrets)}`;
    const details = { server: `${this.settings.host}:${this.settings.port}`, ...(failure.code ? { code: failure.code } : {}), ...(failure.responseCode ? { responseCode: failure.responseCode } : {}) };
    const certificate = /certificate|self[- ]signed/i.test(String(failure.message ?? ''));
    if (typeof failure.responseCode === 'number' && failure.responseCode >= 500) return new UserError('WATCHPOST_ERR_DRIVER_REJECTED', message, { details });
    if (certificate) return new UserError('WATCHPOST_ERR_DRIVER_REJECTED', message, { details });
    if (typeof failure.responseCode === 'number' && failure.responseCode >= 400) return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', message, { details });
    if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH' || failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE') {
      return new UserError('WATCHPOST_ERR_DRIVER_REJECTED', message, { details });
    }
    if (failure.code === undefined || UNREACHABLE_CODES.has(failure.code)) return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', message, { details });
    return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', message, { details });
  }

  async execute(action: ActionId, input: unknown, context: DriverContext): Promise<ExecuteResult> {
    if (action !== 'notify') throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the smtp driver does not serve ${action}`);
    const notify = input as NotifyInput;
    const to = notify.to && notify.to.length > 0 ? notify.to : this.settings.to;
    if (to.length === 0) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `the smtp driver ${this.id} has no recipients: set settings.to or the step's input.to`);
    const sent = await this.send(
      { to, subject: `${this.settings.subjectPrefix}${notify.subject}`, text: textBody(notify), html: htmlBody(notify) },
      context,
    );
    return { changed: true, detail: { ...sent } };
  }

  /**
   * Sends one composed message (its subject as given, without the notify prefix) to `to`, with
   * the Message-ID derived from the idempotency key. Errors as {@link SmtpDriver.execute}'s.
   */
  async send(message: SmtpMessage, context: Pick<DriverContext, 'signal' | 'idempotencyKey'>): Promise<SmtpSent> {
    if (message.to.length === 0) throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `SMTP ${this.settings.host}: a message needs at least one recipient`);
    const messageId = `<${createHash('sha256').update(context.idempotencyKey).digest('hex').slice(0, 32)}.watchpost@${senderDomain(this.settings.from)}>`;
    const transporter = await this.transporter();
    if (context.signal.aborted) throw new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `SMTP ${this.settings.host}: aborted before sending`);
    // nodemailer takes no abort signal: stop waiting on abort; the session ends by its own timeouts.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `SMTP ${this.settings.host}: aborted`));
      context.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const info = await Promise.race([
        transporter.sendMail({
          from: this.settings.from,
          to: [...message.to],
          subject: oneLine(message.subject, 400),
          text: message.text,
          ...(message.html !== undefined ? { html: message.html } : {}),
          ...(message.attachments
            ? { attachments: message.attachments.map((attachment) => ({ filename: attachment.filename, content: attachment.content, contentType: attachment.contentType })) }
            : {}),
          messageId,
          headers: { 'X-Watchpost-Idempotency-Key': oneLine(context.idempotencyKey, 200) },
        }),
        aborted,
      ]);
      const addresses = (list: readonly (string | { address: string })[]): string[] => list.map((item) => (typeof item === 'string' ? item : item.address));
      return { messageId: info.messageId, accepted: addresses(info.accepted), rejected: addresses(info.rejected) };
    } catch (error) {
      if (error instanceof OperationalError || error instanceof UserError) throw error;
      throw this.failure(error);
    } finally {
      if (onAbort) context.signal.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    await transport?.then((transporter) => transporter.close()).catch(() => undefined);
  }
}

export const smtpDriver: DriverType<typeof SmtpSettings, typeof SmtpCredentials> = {
  type: 'smtp',
  description: 'Sends notifications by e-mail over SMTP (STARTTLS or implicit TLS, optional authentication).',
  actions: ['notify'],
  settings: SmtpSettings,
  credentials: SmtpCredentials,
  create(config) {
    if ((config.credentials.user === undefined) !== (config.credentials.password === undefined)) {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `smtp driver ${config.id}: give both credentials.user and credentials.password, or neither`);
    }
    return new SmtpDriver(config.id, config.settings, config.credentials);
  },
};

/**
 * The sending function of an smtp driver instance (its server, TLS, credentials and error mapping,
 * sharing its connection), or undefined when `driver` is not one. Other rooms compose mail through
 * this without knowing the driver's class.
 */
export function smtpSender(driver: Driver): SmtpSend | undefined {
  if (!(driver instanceof SmtpDriver)) return undefined;
  return (message, context) => driver.send(message, context);
}
