import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { DEPLOY, deployTool, run } from './tools.js';

/**
 * deploy/docker-compose.yml through the real Docker Compose (built by deploy/dev/compose.sh):
 * `docker compose config` needs no engine, so it parses, interpolates, validates against the
 * Compose specification and prints the normalized model, on which the stack's promises are checked.
 */

const COMPOSE_FILE = join(DEPLOY, 'docker-compose.yml');
const PASSWORDS = { ELASTIC_PASSWORD: 'es-test-secret', REDIS_PASSWORD: 'redis-test-secret' };

interface Port {
  target: number;
  published?: string;
  protocol?: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  ports?: Port[];
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  healthcheck?: { test: string[] };
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  networks?: Record<string, unknown>;
  user?: string;
}
interface ComposeModel {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: Record<string, { internal?: boolean }>;
}

let scratch: string;
let emptyEnvFile: string;
let model: ComposeModel;

/** `docker-compose -f deploy/docker-compose.yml <args>`, reading no deploy/.env a developer may have. */
function compose(args: readonly string[], env: NodeJS.ProcessEnv, file = COMPOSE_FILE): ReturnType<typeof run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['ELASTIC_PASSWORD', 'REDIS_PASSWORD', 'TZ'].includes(key)));
  return run(deployTool('docker-compose'), ['-f', file, '--env-file', emptyEnvFile, ...args], { env: { ...clean, ...env } });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'wp-compose-'));
  emptyEnvFile = join(scratch, 'empty.env');
  writeFileSync(emptyEnvFile, '');
  const normalized = await compose(['config', '--format', 'json'], PASSWORDS);
  if (normalized.code !== 0) throw new Error(`docker compose config refused the file:\n${normalized.stderr}`);
  model = JSON.parse(normalized.stdout) as ComposeModel;
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docker compose config', () => {
  it('accepts deploy/docker-compose.yml (config --quiet) when the passwords are set', async () => {
    const result = await compose(['config', '--quiet'], PASSWORDS);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('refuses to run without the passwords, naming each', async () => {
    const result = await compose(['config', '--quiet'], {});
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('required variable ELASTIC_PASSWORD is missing a value');
    expect(result.stderr).toContain('required variable REDIS_PASSWORD is missing a value');
  });

  it('refuses a file that breaks the Compose specification (the check can fail)', async () => {
    const broken = join(scratch, 'broken.yml');
    writeFileSync(broken, 'services:\n  api:\n    image: watchpost:0.1.0\n    depends_on:\n      nosuch:\n        condition: service_healthy\n    restart: sometimes\n');
    const result = await compose(['config', '--quiet'], PASSWORDS, broken);
    expect(result.code).not.toBe(0);
    expect(result.stderr.length).toBeGreaterThan(0);
  });
});

describe('the normalized stack', () => {
  it('has Elasticsearch, Redis and the three roles, every image pinned to a version', () => {
    expect(Object.keys(model.services).sort()).toEqual(['api', 'elasticsearch', 'ingest', 'redis', 'worker']);
    for (const [name, service] of Object.entries(model.services)) {
      expect(service.image, name).toMatch(/:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });

  it('runs Elasticsearch as one node with security on, a fixed 1 GB heap, memlock and nofile limits and a health check', () => {
    const es = model.services.elasticsearch as Service;
    expect(es.image).toMatch(/^docker\.elastic\.co\/elasticsearch\/elasticsearch:(8|9)\.\d+\.\d+$/);
    expect(es.environment?.['discovery.type']).toBe('single-node');
    expect(es.environment?.['xpack.security.enabled']).toBe('true');
    expect(es.environment?.ELASTIC_PASSWORD).toBe(PASSWORDS.ELASTIC_PASSWORD);
    expect(es.environment?.ES_JAVA_OPTS).toBe('-Xms1g -Xmx1g');
    expect(es.ulimits?.memlock).toEqual({ soft: -1, hard: -1 });
    expect(es.ulimits?.nofile).toEqual({ soft: 65536, hard: 65536 });
    expect(es.healthcheck?.test.join(' ')).toContain('_cluster/health');
    expect(es.ports ?? []).toEqual([]);
  });

  it('runs Redis with AOF fsynced every second, never evicting, on a volume, with a password and a health check', () => {
    const redis = model.services.redis as Service;
    const command = (redis.command ?? []).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--appendfsync everysec');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(command).toContain('--requirepass');
    expect(redis.volumes?.find((volume) => volume.target === '/data')?.type).toBe('volume');
    expect(redis.healthcheck?.test.join(' ')).toContain('ping');
    expect(redis.ports ?? []).toEqual([]);
    expect(redis.cap_drop).toEqual(['ALL']);
  });

  it('keeps Elasticsearch and Redis on an internal network the roles share', () => {
    expect(model.networks.backend?.internal).toBe(true);
    expect(Object.keys(model.services.elasticsearch?.networks ?? {})).toEqual(['backend']);
    expect(Object.keys(model.services.redis?.networks ?? {})).toEqual(['backend']);
    for (const role of ['ingest', 'worker', 'api']) expect(Object.keys(model.services[role]?.networks ?? {}).sort()).toEqual(['backend', 'frontend']);
  });

  for (const role of ['ingest', 'worker', 'api']) {
    it(`builds the ${role} role from deploy/Dockerfile and runs it hardened, after healthy backends`, () => {
      const service = model.services[role] as Service;
      expect(service.build?.dockerfile).toBe('deploy/Dockerfile');
      expect(existsSync(join(service.build?.context ?? '', 'deploy', 'Dockerfile'))).toBe(true);
      expect(service.command?.slice(0, 3)).toEqual([role, '--config', '/etc/watchpost/watchpost.yaml']);
      expect(service.depends_on?.elasticsearch?.condition).toBe('service_healthy');
      expect(service.depends_on?.redis?.condition).toBe('service_healthy');
      expect(service.restart).toBe('unless-stopped');
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toEqual(['ALL']);
      expect(service.cap_add ?? []).toEqual([]);
      expect(service.security_opt).toContain('no-new-privileges:true');
      expect(service.volumes?.find((volume) => volume.target === '/var/lib/watchpost')?.type).toBe('volume');
      const config = service.volumes?.find((volume) => volume.target === '/etc/watchpost/watchpost.yaml');
      expect(config?.read_only).toBe(true);
      expect(existsSync(config?.source ?? '')).toBe(true);
      expect(service.environment?.WATCHPOST_ELASTICSEARCH__PASSWORD).toBe(PASSWORDS.ELASTIC_PASSWORD);
      expect(service.environment?.WATCHPOST_REDIS__URL).toBe(`redis://:${PASSWORDS.REDIS_PASSWORD}@redis:6379`);
    });
  }

  it('publishes syslog 514/udp, 514/tcp and 6514/tcp on the ingest role and the API on 8080', () => {
    const published = (service: string): string[] =>
      (model.services[service]?.ports ?? []).map((port) => `${port.published}->${port.target}/${port.protocol}`).sort();
    expect(published('ingest')).toEqual(['514->5514/tcp', '514->5514/udp', '6514->6514/tcp', '8081->8080/tcp']);
    expect(published('api')).toEqual(['8080->8080/tcp']);
    expect(published('worker')).toEqual([]);
  });
});

describe('the configuration the stack mounts', () => {
  it('passes `watchpost validate` with the environment compose gives the roles', async () => {
    const environment = Object.fromEntries(
      Object.entries(model.services.api?.environment ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    const configFile = model.services.api?.volumes?.find((volume) => volume.target === '/etc/watchpost/watchpost.yaml')?.source ?? '';
    const result = await run(process.execPath, [BIN, 'validate', '--config', configFile], { env: { ...process.env, ...environment }, timeoutMs: 120_000 });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('backends events=elasticsearch cases=elasticsearch queue=redis correlation=redis');
  });
});
