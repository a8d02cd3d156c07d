/**
 * The Elastic Common Schema subset that Watchpost writes, as nested objects the way ECS
 * documents are stored (`{ source: { ip } }`, addressed as `source.ip` by {@link ./fields.ts}).
 *
 * Only fields a parser, enricher or the engine actually sets belong here; ECS allows more and a
 * parser may add them under {@link EcsEvent.labels} or the `watchpost` namespace.
 */

/** The ECS version Watchpost's documents follow; written to `ecs.version`. */
export const ECS_VERSION = '8.17.0';

/** `event.kind` values (ECS categorisation field). */
export type EventKind = 'alert' | 'asset' | 'enrichment' | 'event' | 'metric' | 'state' | 'pipeline_error' | 'signal';

/** `event.category` values (ECS categorisation field). */
export type EventCategory =
  | 'api'
  | 'authentication'
  | 'configuration'
  | 'database'
  | 'driver'
  | 'email'
  | 'file'
  | 'host'
  | 'iam'
  | 'intrusion_detection'
  | 'library'
  | 'malware'
  | 'network'
  | 'package'
  | 'process'
  | 'registry'
  | 'session'
  | 'threat'
  | 'vulnerability'
  | 'web';

/** `event.type` values (ECS categorisation field). */
export type EventType =
  | 'access'
  | 'admin'
  | 'allowed'
  | 'change'
  | 'connection'
  | 'creation'
  | 'deletion'
  | 'denied'
  | 'end'
  | 'error'
  | 'group'
  | 'indicator'
  | 'info'
  | 'installation'
  | 'protocol'
  | 'start'
  | 'user';

/** `event.outcome` values (ECS categorisation field). */
export type EventOutcome = 'failure' | 'success' | 'unknown';

/** Geographic data filled by the GeoIP enricher. */
export interface EcsGeo {
  city_name?: string;
  continent_name?: string;
  country_iso_code?: string;
  country_name?: string;
  region_iso_code?: string;
  region_name?: string;
  location?: { lat: number; lon: number };
  timezone?: string;
}

/** Autonomous system data. */
export interface EcsAs {
  number?: number;
  organization?: { name?: string };
}

/** `source.*`, `destination.*`, `client.*`, `server.*`. */
export interface EcsEndpoint {
  address?: string;
  ip?: string;
  port?: number;
  domain?: string;
  mac?: string;
  bytes?: number;
  packets?: number;
  geo?: EcsGeo;
  as?: EcsAs;
  nat?: { ip?: string; port?: number };
  user?: EcsUser;
}

/** `user.*` (also nested as `user.target`, `user.effective`). */
export interface EcsUser {
  id?: string;
  name?: string;
  domain?: string;
  email?: string;
  full_name?: string;
  roles?: string[];
  group?: { id?: string; name?: string };
}

/** `host.*` and the host parts of `observer.*`. */
export interface EcsHost {
  name?: string;
  hostname?: string;
  ip?: string[];
  mac?: string[];
  os?: { name?: string; family?: string; version?: string; platform?: string };
}

/** `process.*` (and `process.parent`). */
export interface EcsProcess {
  pid?: number;
  name?: string;
  executable?: string;
  command_line?: string;
  args?: string[];
  working_directory?: string;
  thread?: { id?: number };
  user?: EcsUser;
  parent?: Omit<EcsProcess, 'parent'>;
  /** Hashes of the process executable (endpoint firewalls and EDRs report them). */
  hash?: EcsHash;
}

/** File hashes. */
export interface EcsHash {
  md5?: string;
  sha1?: string;
  sha256?: string;
}

/** One ECS event as Watchpost stores it. */
export interface EcsEvent {
  '@timestamp': string;
  message?: string;
  tags?: string[];
  labels?: Record<string, string>;
  ecs?: { version: string };
  event?: {
    id?: string;
    kind?: EventKind;
    category?: EventCategory[];
    type?: EventType[];
    outcome?: EventOutcome;
    action?: string;
    code?: string;
    dataset?: string;
    module?: string;
    provider?: string;
    original?: string;
    created?: string;
    ingested?: string;
    start?: string;
    end?: string;
    duration?: number;
    severity?: number;
    risk_score?: number;
    reason?: string;
    reference?: string;
    sequence?: number;
    timezone?: string;
    hash?: string;
  };
  source?: EcsEndpoint;
  destination?: EcsEndpoint;
  client?: EcsEndpoint;
  server?: EcsEndpoint;
  network?: {
    transport?: string;
    protocol?: string;
    application?: string;
    /** The network (e.g. a Check Point policy layer or VLAN) the event belongs to. */
    name?: string;
    direction?: 'ingress' | 'egress' | 'inbound' | 'outbound' | 'internal' | 'external' | 'unknown';
    type?: string;
    iana_number?: string;
    bytes?: number;
    packets?: number;
    community_id?: string;
    forwarded_ip?: string;
  };
  observer?: EcsHost & {
    vendor?: string;
    product?: string;
    type?: string;
    version?: string;
    serial_number?: string;
    ingress?: { interface?: { name?: string }; zone?: string };
    egress?: { interface?: { name?: string }; zone?: string };
  };
  host?: EcsHost;
  user?: EcsUser & { target?: EcsUser; effective?: EcsUser; changes?: EcsUser };
  group?: { id?: string; name?: string };
  process?: EcsProcess;
  file?: {
    name?: string;
    path?: string;
    directory?: string;
    extension?: string;
    size?: number;
    hash?: EcsHash;
  };
  url?: {
    original?: string;
    full?: string;
    scheme?: string;
    domain?: string;
    port?: number;
    path?: string;
    query?: string;
    extension?: string;
  };
  http?: {
    version?: string;
    request?: { method?: string; referrer?: string; bytes?: number; body?: { bytes?: number } };
    response?: { status_code?: number; bytes?: number; mime_type?: string; body?: { bytes?: number } };
  };
  user_agent?: { original?: string; name?: string; version?: string; device?: { name?: string }; os?: { name?: string; version?: string } };
  dns?: { question?: { name?: string; type?: string } };
  rule?: { id?: string; uuid?: string; name?: string; category?: string; ruleset?: string; description?: string; author?: string[] };
  threat?: {
    framework?: string;
    tactic?: { id?: string[]; name?: string[] };
    technique?: { id?: string[]; name?: string[] };
    indicator?: { type?: string; ip?: string };
    /** The malware an antivirus named (ECS `threat.software.*`): `Eicar-Test-Signature`, type `Malware`. */
    software?: { name?: string; type?: string };
  };
  /** Malware names found by antivirus parsers land in threat.* or here, per the vendor's mapping. */
  log?: {
    level?: string;
    logger?: string;
    offset?: number;
    file?: { path?: string };
    source?: { address?: string };
    syslog?: {
      priority?: number;
      facility?: { code?: number; name?: string };
      severity?: { code?: number; name?: string };
      hostname?: string;
      appname?: string;
      procid?: string;
      msgid?: string;
      version?: string;
      structured_data?: Record<string, Record<string, string>>;
    };
  };
  error?: { message?: string; type?: string; code?: string };
  related?: { ip?: string[]; user?: string[]; hosts?: string[]; hash?: string[] };
  service?: { name?: string; type?: string };
  /** Watchpost's own fields (not ECS): where the record came from and how it was parsed. */
  watchpost?: {
    /** The configured source id, its transport and the peer or file it came from. */
    input?: { id?: string; transport?: 'udp' | 'tcp' | 'tls' | 'file' | 'http'; peer?: string; listener?: string };
    /** Set when no parser understood the record: the parser tried and a short reason code. */
    parse?: {
      parser?: string;
      failure?: string;
      truncated?: boolean;
      /** What the syslog decoder tolerated (no_hostname, yearless_timestamp, invalid_utf8, ...). */
      anomalies?: string[];
    };
  };
}

/** An event as the event store holds it: with its deterministic id. */
export type StoredEvent = EcsEvent & { event: NonNullable<EcsEvent['event']> & { id: string } };
