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

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** One severity's SLA: how long an incident may wait for acknowledgement and for resolution. */
const SlaTargetSchema = (acknowledgeMs: number, resolveMs: number) =>
  Type.Object(
    {
      acknowledgeMs: Type.Integer({ minimum: MINUTE_MS, default: acknowledgeMs, description: 'Time to acknowledge, from creation, in ms.' }),
      resolveMs: Type.Integer({ minimum: MINUTE_MS, default: resolveMs, description: 'Time to resolve, from creation, in ms.' }),
    },
    { additionalProperties: false, default: {} },
  );

/** Alerting: how rule matches become alerts and incidents, SLA clocks and source availability. */
export const AlertingConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Turn rule matches into alerts and incidents (otherwise they are only logged).' }),
    dedupWindowMs: Type.Integer({
      minimum: 1000,
      maximum: 30 * 24 * HOUR_MS,
      default: HOUR_MS,
      description: 'Repeats of a rule on the same entities within one window of this length (aligned to the epoch) raise the count of one alert.',
    }),
    maxEventIds: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Event ids kept on an alert; the count says how many there were.' }),
    repeatOffender: Type.Object(
      {
        windowMs: Type.Integer({ minimum: 0, default: 24 * HOUR_MS, description: 'How far back other alerts on the same entity raise the risk score.' }),
        bumpPerAlert: Type.Integer({ minimum: 0, maximum: 100, default: 5, description: 'Risk points added per other recent alert on the same entity.' }),
        maxBump: Type.Integer({ minimum: 0, maximum: 100, default: 20, description: 'Most risk points the bump adds.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    incidents: Type.Object(
      {
        groupBy: Type.Array(Type.String({ minLength: 1 }), {
          default: ['source.ip', 'user.name', 'host.name'],
          maxItems: 16,
          description: 'Entity fields incidents group alerts by, first present wins.',
        }),
        windowMs: Type.Integer({
          minimum: MINUTE_MS,
          default: 24 * HOUR_MS,
          description: 'An alert joins the open incident of its entity updated within this long; otherwise it opens a new one.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    sla: Type.Object(
      {
        warnFraction: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8, description: 'Warn when this fraction of an SLA has elapsed.' }),
        checkIntervalMs: Type.Integer({ minimum: 1000, default: MINUTE_MS, description: 'How often the worker checks SLA clocks.' }),
        critical: SlaTargetSchema(15 * MINUTE_MS, 4 * HOUR_MS),
        high: SlaTargetSchema(HOUR_MS, 24 * HOUR_MS),
        medium: SlaTargetSchema(4 * HOUR_MS, 72 * HOUR_MS),
        low: SlaTargetSchema(24 * HOUR_MS, 7 * 24 * HOUR_MS),
        informational: SlaTargetSchema(72 * HOUR_MS, 30 * 24 * HOUR_MS),
      },
      { additionalProperties: false, default: {} },
    ),
    availability: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Raise an alert when a log source falls silent.' }),
        checkIntervalMs: Type.Integer({ minimum: 1000, default: MINUTE_MS, description: 'How often the ingest process checks for silent sources.' }),
        learn: Type.Boolean({
          default: true,
          description: 'Watch every event.dataset seen, with a limit learned from its arrivals (learnFactor times the median gap).',
        }),
        learnFactor: Type.Number({ minimum: 1, default: 10, description: 'A learned source is silent after this many median inter-arrival gaps.' }),
        minSamples: Type.Integer({ minimum: 2, default: 10, description: 'Arrivals seen before a learned limit applies.' }),
        minSilenceMs: Type.Integer({ minimum: MINUTE_MS, default: 15 * MINUTE_MS, description: 'The shortest learned silence limit.' }),
        sources: Type.Array(
          Type.Object(
            {
              id: Type.String({ minLength: 1, description: 'A watchpost.input.id (source id) or an event.dataset.' }),
              maxSilenceMs: Type.Integer({ minimum: MINUTE_MS, description: 'Raise the alert after this long without an event.' }),
            },
            { additionalProperties: false },
          ),
          { default: [], maxItems: 1000, description: 'Sources with a fixed silence limit, watched from process start.' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

/**
 * A secret in the config: the value itself, or where to read it (an environment variable, a file
 * such as a Docker or systemd credential). Resolved when the process starts; never logged.
 */
export const SecretSchema = Type.Union([
  Type.String({ minLength: 1, maxLength: 8192 }),
  Type.Object({ env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }) }, { additionalProperties: false }),
  Type.Object({ file: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
]);

/** One enforcement point or service automated response acts through. */
export const ResponseDriverConfigSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Names the driver instance in playbooks, block records and the audit log.' }),
    type: Type.String({ minLength: 1, maxLength: 64, description: 'The driver type (`watchpost actions list` shows them): nftables, ipset, pfsense, opnsense, feed, webhook, ldap, active-directory, linux, smtp, slack, teams, servicenow, freshservice.' }),
    enabled: Type.Boolean({ default: true }),
    settings: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "The driver's settings; the driver type's schema checks them." }),
    credentials: Type.Record(Type.String(), SecretSchema, {
      default: {},
      description: 'Secrets of the driver (API keys, bind passwords, tokens): never logged, never returned by the API.',
    }),
  },
  { additionalProperties: false },
);

/** Automated response: playbooks, the drivers they act through, and the safety limits. */
export const ResponseConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Run playbooks on alerts and incidents (the worker role).' }),
    dryRun: Type.Boolean({ default: false, description: 'Every run only pretends: drivers are not called; the timeline says what would have happened.' }),
    playbookDirs: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      maxItems: 64,
      description: 'Directories of playbook YAML loaded after the shipped playbooks/ (a playbook with the same id replaces the shipped one).',
    }),
    disabledPlaybooks: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 1000, description: 'Playbook ids not run.' }),
    drivers: Type.Array(ResponseDriverConfigSchema, { default: [], maxItems: 256, description: 'Driver instances; a step runs on every enabled instance of its action unless it names some.' }),
    reconcileIntervalMs: Type.Integer({
      minimum: 5000,
      default: MINUTE_MS,
      description: 'How often blocks are re-derived from their stored desired state: expired ones undone, missing ones put back.',
    }),
    approvalTimeoutMs: Type.Integer({ minimum: MINUTE_MS, default: 30 * MINUTE_MS, description: 'A run waiting for approval longer than this is cancelled.' }),
    stepTimeoutMs: Type.Integer({ minimum: 1000, maximum: HOUR_MS, default: 30_000, description: 'Default time limit of one step on one driver.' }),
    safety: Type.Object(
      {
        neverBlock: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
          default: [],
          maxItems: 10_000,
          description: 'Addresses and CIDRs never blocked (gateways, VIPs, partners), besides loopback, link-local, cloud metadata and, below, this host.',
        }),
        protectHostAddresses: Type.Boolean({ default: true, description: "Never block this host's own interface addresses." }),
        protectGateways: Type.Boolean({ default: true, description: 'Never block the default gateways of this host (/proc/net/route, /proc/net/ipv6_route).' }),
        protectDnsServers: Type.Boolean({ default: true, description: 'Never block the name servers of /etc/resolv.conf.' }),
        protectedAccounts: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
          default: ['root', 'admin', 'administrator', 'krbtgt'],
          maxItems: 10_000,
          description: 'Accounts never disabled (compared case-insensitively); local system accounts (uid < 1000) are always protected.',
        }),
        blockTtlMs: Type.Integer({ minimum: MINUTE_MS, default: 4 * HOUR_MS, description: 'How long an automatic block lasts (a playbook may ask for less).' }),
        repeatMultiplier: Type.Number({ minimum: 1, maximum: 16, default: 2, description: 'Each repeat block of the same target lasts this many times longer.' }),
        maxBlockTtlMs: Type.Integer({ minimum: MINUTE_MS, default: 7 * 24 * HOUR_MS, description: 'The longest block, repeats included.' }),
        repeatWindowMs: Type.Integer({ minimum: 0, default: 30 * 24 * HOUR_MS, description: 'Blocks older than this no longer count as earlier offences.' }),
        maxBlocksPerMinute: Type.Integer({ minimum: 1, default: 20, description: 'More new automatic blocks in a minute open the circuit breaker.' }),
        maxActiveBlocks: Type.Integer({ minimum: 1, default: 500, description: 'More active blocks than this open the circuit breaker.' }),
        approval: Type.Object(
          {
            widerThanIpv4Prefix: Type.Integer({ minimum: 0, maximum: 32, default: 24, description: 'Blocking an IPv4 prefix shorter than this needs approval.' }),
            widerThanIpv6Prefix: Type.Integer({ minimum: 0, maximum: 128, default: 64, description: 'Blocking an IPv6 prefix shorter than this needs approval.' }),
            internalAddresses: Type.Boolean({ default: true, description: 'Blocking RFC 1918, ULA, CGNAT or other non-public addresses needs approval.' }),
            accounts: Type.Boolean({ default: true, description: 'Disabling an account needs approval.' }),
            udpEvidence: Type.Boolean({ default: true, description: 'Acting on evidence that came only over UDP syslog (spoofable) needs approval.' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

/** A role an identity provider's group may grant: the human roles (ingest is for machines). */
const oidcRole = (description: string) =>
  Type.Union(
    ['viewer', 'analyst', 'responder', 'approver', 'admin'].map((role) => Type.Literal(role)),
    { description },
  );

/** Single sign-on through an OpenID Connect provider (Keycloak, Authentik, ...); docs/auth.md. */
export const OidcConfigSchema = Type.Object(
  {
    issuer: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description: 'The provider\u2019s issuer URL, exactly as its discovery document states it (http only for localhost).',
    }),
    clientId: Type.String({ minLength: 1, maxLength: 512, description: 'The client id registered at the provider.' }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'The client secret (secret; never logged). Absent: a public client, PKCE only, and sign-ins must finish on the process that began them.',
      }),
    ),
    redirectUri: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description: 'This server\u2019s callback as registered at the provider: its public URL followed by /api/v1/auth/oidc/callback.',
    }),
    scopes: Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
      default: ['openid', 'profile', 'email'],
      maxItems: 32,
      description: 'Scopes requested; openid is always added.',
    }),
    usernameClaim: Type.String({ minLength: 1, maxLength: 128, default: 'preferred_username', description: 'The ID token claim that becomes the Watchpost username.' }),
    groupsClaim: Type.String({
      minLength: 1,
      maxLength: 128,
      default: 'groups',
      description: 'The claim listing the user\u2019s groups, in the ID token or else from the userinfo endpoint.',
    }),
    groupRoles: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), oidcRole('viewer < analyst < responder < approver < admin.'), {
      default: {},
      maxProperties: 1000,
      description: 'Group name to role; a user gets the role of every group they are in. Not settable from the environment.',
    }),
    defaultRole: Type.Optional(oidcRole('The role of a user in no mapped group; absent: such a user is refused.')),
    autoCreate: Type.Boolean({
      default: true,
      description: 'Create a Watchpost user at the first sign-in; otherwise an admin creates the user (without a password) first.',
    }),
    timeoutMs: Type.Integer({ minimum: 1000, maximum: 60_000, default: 10_000, description: 'Timeout of each request to the provider.' }),
  },
  { additionalProperties: false },
);

/** Local sign-in: sessions of the console, login throttling, and whether clients use HTTPS. */
export const AuthConfigSchema = Type.Object(
  {
    secureTransport: Type.Boolean({
      default: false,
      description:
        'Clients reach the API over HTTPS through a TLS-terminating proxy: session cookies get Secure and the __Host- prefix, and responses carry HSTS (both are automatic on a direct TLS connection).',
    }),
    session: Type.Object(
      {
        idleTimeoutMs: Type.Integer({
          minimum: 60_000,
          maximum: 24 * 3_600_000,
          default: 30 * 60_000,
          description: 'A console session ends after this long without a request (ASVS 7.3.1).',
        }),
        absoluteTimeoutMs: Type.Integer({
          minimum: 60_000,
          maximum: 30 * 24 * 3_600_000,
          default: 12 * 3_600_000,
          description: 'A console session ends this long after sign-in, however active (ASVS 7.3.2).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    login: Type.Object(
      {
        maxFailures: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Failed sign-ins for one username, within failureWindowMs, that lock it.' }),
        maxFailuresPerIp: Type.Integer({
          minimum: 1,
          maximum: 100_000,
          default: 20,
          description: 'Failed sign-ins from one client address, within failureWindowMs, that lock it out (higher: several people may share an address).',
        }),
        failureWindowMs: Type.Integer({ minimum: 1000, default: 15 * 60_000, description: 'Failures older than this are forgotten.' }),
        lockoutMs: Type.Integer({ minimum: 1000, default: 15 * 60_000, description: 'The first lockout; each further one doubles it.' }),
        maxLockoutMs: Type.Integer({ minimum: 1000, default: 24 * 3_600_000, description: 'The longest lockout.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    oidc: Type.Optional(OidcConfigSchema),
  },
  { additionalProperties: false, default: {} },
);

/** The weekly threat report: when it is made, who gets it. */
export const ReportsConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Generate the weekly report on schedule (the worker role).' }),
    schedule: Type.Object(
      {
        day: Type.Union(
          ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => Type.Literal(d)),
          { default: 'monday', description: 'The day the previous week\'s report is made (weeks run Monday to Sunday).' },
        ),
        time: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '07:00', description: 'Local time (HH:MM, 24 h) on that day.' }),
        timeZone: Type.String({ minLength: 1, maxLength: 64, default: 'UTC', description: 'IANA time zone of the schedule and of the week\'s bounds, e.g. Europe/Berlin.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    mail: Type.Object(
      {
        driver: Type.Optional(
          Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'The id of an smtp driver in response.drivers whose server, sender and credentials send the report.' }),
        ),
        to: Type.Array(Type.String({ minLength: 3, maxLength: 320 }), { default: [], maxItems: 50, description: 'Recipients; without any (or without a driver) the report is kept but not mailed.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    keepWeeks: Type.Integer({ minimum: 1, maximum: 520, default: 104, description: 'Reports older than this many weeks are deleted.' }),
  },
  { additionalProperties: false, default: {} },
);

/** The whole configuration. */
export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ default: './data', description: 'Directory of the SQLite file, spool and checkpoints.' }),
    organization: Type.Object(
      {
        name: Type.String({ default: 'Watchpost', maxLength: 200, description: 'Shown in the console and reports.' }),
        logo: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'A PNG or JPEG file (at most 2 MB) put on the report cover and page headers.' })),
      },
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
    alerting: AlertingConfigSchema,
    auth: AuthConfigSchema,
    response: ResponseConfigSchema,
    reports: ReportsConfigSchema,
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
export type AlertingConfig = Static<typeof AlertingConfigSchema>;
export type AuthConfig = Static<typeof AuthConfigSchema>;
export type OidcConfig = Static<typeof OidcConfigSchema>;
export type ResponseConfig = Static<typeof ResponseConfigSchema>;
export type ReportsConfig = Static<typeof ReportsConfigSchema>;
export type ResponseDriverConfig = Static<typeof ResponseDriverConfigSchema>;
export type SecretConfig = Static<typeof SecretSchema>;
