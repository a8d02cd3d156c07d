import { Type, type Static } from '@sinclair/typebox';

/**
 * Configuration of the ingest role: syslog listeners, file tailers, HTTP ingest, batching and the
 * write-ahead spool. Part of the one schema (core/config/schema.ts); each source receives only
 * its own slice.
 */

const HostPort = Type.String({
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
  description: 'host:port, e.g. 127.0.0.1:5514 or [::1]:6514',
});

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Unique id of the source: lowercase letters, digits and -.' });

const TimeZone = Type.String({
  minLength: 1,
  description: 'IANA time zone (e.g. Europe/Berlin) for timestamps that carry no offset.',
});

/** TLS settings of a syslog listener (RFC 5425). */
export const SyslogTlsConfigSchema = Type.Object(
  {
    certFile: Type.String({ description: 'PEM file of the server certificate (with its chain).' }),
    keyFile: Type.String({ description: 'PEM file of the server private key (secret; never logged).' }),
    caFile: Type.Optional(Type.String({ description: 'PEM file of the CAs whose client certificates are accepted.' })),
    clientAuth: Type.Union([Type.Literal('none'), Type.Literal('optional'), Type.Literal('required')], {
      default: 'none',
      description: 'Whether senders must present a certificate signed by caFile or listed in allowedFingerprints.',
    }),
    allowedFingerprints: Type.Array(Type.String({ pattern: '^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$' }), {
      default: [],
      description: 'SHA-256 fingerprints (AA:BB:...) of client certificates accepted even without a CA.',
    }),
    minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')], { default: 'TLSv1.2', description: 'Lowest TLS version accepted.' }),
  },
  { additionalProperties: false },
);

/** One syslog listener. */
export const SyslogListenerConfigSchema = Type.Object(
  {
    id: Id,
    protocol: Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], { description: 'Transport.' }),
    listen: Type.String({ ...HostPort, description: 'Address to listen on; loopback unless you mean to expose it.' }),
    maxMessageBytes: Type.Integer({
      minimum: 480,
      maximum: 16 * 1024 * 1024,
      default: 64 * 1024,
      description: 'Longest message kept; longer frames are truncated to this and flagged.',
    }),
    timezone: Type.String({ ...TimeZone, default: 'UTC' }),
    timezones: Type.Record(Type.String(), TimeZone, {
      default: {},
      description: 'Per-sender time zone by sender IP address (for devices that log local time without an offset).',
    }),
    receiveBufferBytes: Type.Integer({
      minimum: 65536,
      default: 8 * 1024 * 1024,
      description: 'UDP: the socket receive buffer asked of the kernel (capped by net.core.rmem_max).',
    }),
    maxConnections: Type.Integer({ minimum: 1, default: 1024, description: 'TCP/TLS: concurrent connections accepted.' }),
    idleTimeoutMs: Type.Integer({ minimum: 0, default: 0, description: 'TCP/TLS: close a connection silent this long (0 = never).' }),
    tls: Type.Optional(SyslogTlsConfigSchema),
  },
  { additionalProperties: false },
);

/** Joining continuation lines into one record. */
export const MultilineConfigSchema = Type.Object(
  {
    pattern: Type.String({ description: 'Regular expression that marks a line.' }),
    negate: Type.Boolean({ default: false, description: 'Apply the rule to lines that do NOT match.' }),
    match: Type.Union([Type.Literal('after'), Type.Literal('before')], {
      default: 'after',
      description: 'after: marked lines continue the previous record; before: they continue into the next.',
    }),
    maxLines: Type.Integer({ minimum: 1, default: 500, description: 'Most lines joined into one record.' }),
    timeoutMs: Type.Integer({ minimum: 1, default: 1000, description: 'Emit a pending record after this long without a new line.' }),
  },
  { additionalProperties: false },
);

/** One file tailer. */
export const FileSourceConfigSchema = Type.Object(
  {
    id: Id,
    paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Files or globs to tail.' }),
    exclude: Type.Array(Type.String(), { default: [], description: 'Globs of files to skip (e.g. rotated *.gz).' }),
    startAt: Type.Union([Type.Literal('beginning'), Type.Literal('end')], {
      default: 'beginning',
      description: 'Where to start in a file seen for the first time.',
    }),
    format: Type.Optional(Type.String({ description: 'Parser id for these lines (default: detected).' })),
    timezone: Type.String({ ...TimeZone, default: 'UTC' }),
    maxLineBytes: Type.Integer({ minimum: 256, default: 64 * 1024, description: 'Longest line kept; longer ones are truncated and flagged.' }),
    multiline: Type.Optional(MultilineConfigSchema),
    pollIntervalMs: Type.Integer({ minimum: 50, default: 1000, description: 'How often files are checked when no change event arrives.' }),
  },
  { additionalProperties: false },
);

/** HTTP ingest (POST /api/v1/ingest on the API). */
export const HttpIngestConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Accept events over HTTP with an API token.' }),
    maxBodyBytes: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024, description: 'Largest request body (after gzip decoding).' }),
    maxEventsPerRequest: Type.Integer({ minimum: 1, default: 10_000, description: 'Most events in one request.' }),
    ratePerSecond: Type.Integer({ minimum: 1, default: 2000, description: 'Events per second allowed per token (token bucket).' }),
    burst: Type.Integer({ minimum: 1, default: 20_000, description: 'Events a token may send at once above its rate.' }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The write-ahead spool every accepted record passes through. Appends are group-committed: an
 * fdatasync starts as soon as the previous one ends and covers every append that arrived
 * meanwhile, so there is no interval to tune.
 */
export const SpoolConfigSchema = Type.Object(
  {
    maxBytes: Type.Integer({
      minimum: 1024 * 1024,
      default: 1024 * 1024 * 1024,
      description: 'Cap of the spool on disk; when full, TCP and files pause and UDP drops (counted).',
    }),
    segmentBytes: Type.Integer({ minimum: 64 * 1024, default: 16 * 1024 * 1024, description: 'Size of one spool segment file.' }),
  },
  { additionalProperties: false, default: {} },
);

/** Batching from the spool to the event store. */
export const BatchConfigSchema = Type.Object(
  {
    maxRecords: Type.Integer({ minimum: 1, maximum: 100_000, default: 2000, description: 'Most events in one append to the store.' }),
    maxDelayMs: Type.Integer({ minimum: 1, default: 200, description: 'Longest a record waits for its batch to fill.' }),
  },
  { additionalProperties: false, default: {} },
);

/** One list for the lists enricher: matching addresses or domains get `tag`. */
export const EnrichListConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Name of the list, for errors and documentation.' }),
    tag: Type.String({ minLength: 1, description: 'Tag added to events whose source.ip/destination.ip or domain is listed.' }),
    cidrs: Type.Array(Type.String(), { default: [], description: 'IPv4/IPv6 networks, e.g. 10.0.0.0/8 or 2001:db8::/32.' }),
    ips: Type.Array(Type.String(), { default: [], description: 'Single IPv4/IPv6 addresses.' }),
    domains: Type.Array(Type.String(), {
      default: [],
      description: 'Domains matched against url.domain, destination.domain and dns.question.name, exactly or as a parent domain.',
    }),
    file: Type.Optional(Type.String({ description: 'File of further entries (IP, CIDR or domain), one per line; # starts a comment.' })),
  },
  { additionalProperties: false },
);

/** Enrichment after parsing (ingest/enrich). */
export const EnrichConfigSchema = Type.Object(
  {
    geoip: Type.Boolean({
      default: true,
      description: 'Fill source/destination/client/server .geo from geoip-lite (loads ~100 MB of data at the first public address).',
    }),
    lists: Type.Array(EnrichListConfigSchema, { default: [], description: 'IP/CIDR/domain lists that tag matching events.' }),
  },
  { additionalProperties: false, default: {} },
);

/** The ingest section. */
export const IngestConfigSchema = Type.Object(
  {
    syslog: Type.Array(SyslogListenerConfigSchema, { default: [], description: 'Syslog listeners.' }),
    files: Type.Array(FileSourceConfigSchema, { default: [], description: 'File tailers.' }),
    http: HttpIngestConfigSchema,
    spool: SpoolConfigSchema,
    batch: BatchConfigSchema,
    enrich: EnrichConfigSchema,
  },
  { additionalProperties: false, default: {} },
);

export type IngestConfig = Static<typeof IngestConfigSchema>;
export type SyslogListenerConfig = Static<typeof SyslogListenerConfigSchema>;
export type SyslogTlsConfig = Static<typeof SyslogTlsConfigSchema>;
export type FileSourceConfig = Static<typeof FileSourceConfigSchema>;
export type MultilineConfig = Static<typeof MultilineConfigSchema>;
export type HttpIngestConfig = Static<typeof HttpIngestConfigSchema>;
export type SpoolConfig = Static<typeof SpoolConfigSchema>;
export type BatchConfig = Static<typeof BatchConfigSchema>;
export type EnrichConfig = Static<typeof EnrichConfigSchema>;
export type EnrichListConfig = Static<typeof EnrichListConfigSchema>;
