import { Type, type Static } from '@sinclair/typebox';
import { IngestConfigSchema } from './ingest.js';

/**
 * The one configuration schema. Every key has a description and, where sensible, a default;
 * unknown keys are rejected. Components receive only their slice (`config.api`,
 * `config.elasticsearch`), never the whole object. docs/configuration.md documents it.
 */

const HostPort = Type.String({
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
  description: 'host:port, e.g. 127.0.0.1:8080 or [::1]:8080',
});

/** The HTTP API and console. */
export const ApiConfigSchema = Type.Object(
  {
    listen: Type.String({ ...HostPort, default: '127.0.0.1:8080', description: 'Address the API and console listen on.' }),
    bodyLimitBytes: Type.Integer({
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      default: 1024 * 1024,
      description: 'Largest request body accepted, in bytes.',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** Logging. */
export const LogConfigSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Lowest level written.' },
    ),
  },
  { additionalProperties: false, default: {} },
);

/** Connection to Elasticsearch, used when a backend is "elasticsearch". */
export const ElasticsearchConfigSchema = Type.Object(
  {
    nodes: Type.Array(Type.String({ pattern: '^https?://', description: 'Node URL.' }), {
      minItems: 1,
      description: 'URLs of the Elasticsearch nodes.',
    }),
    username: Type.Optional(Type.String({ description: 'Basic-auth user.' })),
    password: Type.Optional(Type.String({ description: 'Basic-auth password (secret; never logged).' })),
    apiKey: Type.Optional(Type.String({ description: 'API key, base64 id:key (secret; never logged).' })),
    caFile: Type.Optional(Type.String({ description: 'PEM file of the CA that signed the nodes\u2019 certificates.' })),
    indexPrefix: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      default: 'watchpost',
      description: 'Prefix of every index and template Watchpost creates.',
    }),
    shards: Type.Integer({ minimum: 1, default: 1, description: 'Primary shards per index.' }),
    replicas: Type.Integer({ minimum: 0, default: 0, description: 'Replicas per shard.' }),
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'Per-request timeout.' }),
    bulkMaxRetries: Type.Integer({
      minimum: 0,
      default: 5,
      description: 'Retries of items refused with 429 or 5xx before append gives up with an OperationalError.',
    }),
  },
  { additionalProperties: false },
);

/** Connection to Redis, used when the queue or correlation backend is "redis". */
export const RedisConfigSchema = Type.Object(
  {
    url: Type.String({ pattern: '^rediss?://', description: 'redis://[user:password@]host:port[/db]' }),
    prefix: Type.String({
      pattern: '^[A-Za-z0-9_-]+$',
      default: 'watchpost',
      description: 'Prefix of every key Watchpost writes.',
    }),
  },
  { additionalProperties: false },
);

/** Which technology serves each concern. */
export const BackendsConfigSchema = Type.Object(
  {
    events: Type.Union([Type.Literal('sqlite'), Type.Literal('elasticsearch')], {
      default: 'sqlite',
      description: 'Where events are stored and searched.',
    }),
    cases: Type.Union([Type.Literal('sqlite'), Type.Literal('elasticsearch')], {
      default: 'sqlite',
      description: 'Where alerts, incidents, users, audit and playbook state are stored.',
    }),
    queue: Type.Union([Type.Literal('sqlite'), Type.Literal('redis')], {
      default: 'sqlite',
      description: 'The job queue.',
    }),
    correlation: Type.Union([Type.Literal('memory'), Type.Literal('redis')], {
      default: 'memory',
      description: 'Where correlation windows live; redis lets several ingest processes share them.',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** How long data is kept. */
export const RetentionConfigSchema = Type.Object(
  {
    eventsDays: Type.Integer({ minimum: 1, default: 30, description: 'Days of events kept.' }),
    auditDays: Type.Integer({ minimum: 1, default: 365, description: 'Days of audit log kept.' }),
    jobsDays: Type.Integer({ minimum: 1, default: 7, description: 'Days finished jobs are kept (their ids stay deduplicated that long).' }),
  },
  { additionalProperties: false, default: {} },
);

/** Detection: which Sigma rules and pipelines are loaded and evaluated on every event. */
export const DetectionConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Evaluate rules on every event as it is ingested.' }),
    shippedRules: Type.Boolean({
      default: true,
      description: 'Load the rules shipped with Watchpost: rules/sigmahq (without unsupported/) and rules/watchpost.',
    }),
    paths: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 256,
      description: 'More rule files or directories (Sigma YAML), loaded after the shipped ones.',
    }),
    pipelines: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 64,
      description: 'More pipeline directories (Sigma field name to ECS mappings), besides the shipped rules/pipelines.',
    }),
    disabledRules: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 10_000,
      description: 'Rule ids, names or titles not to evaluate (tuning).',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** The whole configuration. */
export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ default: './data', description: 'Directory of the SQLite file, spool and checkpoints.' }),
    organization: Type.Object(
      { name: Type.String({ default: 'Watchpost', description: 'Shown in the console and reports.' }) },
      { additionalProperties: false, default: {} },
    ),
    api: ApiConfigSchema,
    log: LogConfigSchema,
    backends: BackendsConfigSchema,
    elasticsearch: Type.Optional(ElasticsearchConfigSchema),
    redis: Type.Optional(RedisConfigSchema),
    retention: RetentionConfigSchema,
    ingest: IngestConfigSchema,
    detection: DetectionConfigSchema,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type ApiConfig = Static<typeof ApiConfigSchema>;
export type ElasticsearchConfig = Static<typeof ElasticsearchConfigSchema>;
export type RedisConfig = Static<typeof RedisConfigSchema>;
export type BackendsConfig = Static<typeof BackendsConfigSchema>;
export type RetentionConfig = Static<typeof RetentionConfigSchema>;
export type DetectionConfig = Static<typeof DetectionConfigSchema>;
