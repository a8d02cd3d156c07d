import type { Redis } from 'ioredis';

/**
 * Where the BullMQ queue keeps its keys, and the few of our own beside them:
 *
 * - `<prefix>:bull:<name>:...` BullMQ's keys, one BullMQ queue per job name.
 * - `<prefix>:wp:jobnames` hash job id → job name, so `get` and `cancel` find a job without its
 *   name, and so dedup holds across names as it does in SQLite (BullMQ dedups per queue only).
 * - `<prefix>:wp:names` set of every job name ever added, for `counts()` over all names.
 * - `<prefix>:wp:adding:<id>` a short lock held while one caller adds an id, so a concurrent add
 *   of the same id answers added:false instead of a second added:true.
 *
 * Our ids go to BullMQ as `wp.<id>`: BullMQ refuses integer ids ("12345", a legal id of ours) and
 * keeps its own keys (`meta`, `wait`, `id`, `events`) beside the job hashes, so a bare id "meta"
 * would overwrite the queue's metadata. The prefix makes every id safe and never collides.
 */
export class QueueKeys {
  readonly bullPrefix: string;
  readonly jobNames: string;
  readonly names: string;
  private readonly addingPrefix: string;

  constructor(prefix: string) {
    this.bullPrefix = `${prefix}:bull`;
    this.jobNames = `${prefix}:wp:jobnames`;
    this.names = `${prefix}:wp:names`;
    this.addingPrefix = `${prefix}:wp:adding:`;
  }

  /** The lock held while one caller adds `id`. */
  adding(id: string): string {
    return `${this.addingPrefix}${id}`;
  }

  /** BullMQ's sorted set of the delayed jobs of `name`. */
  delayed(name: string): string {
    return `${this.bullPrefix}:${name}:delayed`;
  }
}

const BULL_ID_PREFIX = 'wp.';

/** Our job id as BullMQ's job id. */
export function toBullId(id: string): string {
  return `${BULL_ID_PREFIX}${id}`;
}

/** BullMQ's job id back to ours. */
export function fromBullId(bullId: string): string {
  return bullId.startsWith(BULL_ID_PREFIX) ? bullId.slice(BULL_ID_PREFIX.length) : bullId;
}

/**
 * Registers an id before it is added to BullMQ. Returns 1 when the caller should add the job, 0
 * when the id is known: its job still exists under the name recorded for it, or another caller
 * is adding it right now. A registration whose job no longer exists (purged after retention,
 * cancelled, or its adder died between this script and the BullMQ add) is taken over.
 *
 * KEYS: jobnames hash, names set, adding lock. ARGV: id, name, bull prefix, bull id, lock ms, token.
 */
const REGISTER = `
local known = redis.call('HGET', KEYS[1], ARGV[1])
if known and redis.call('EXISTS', ARGV[3] .. ':' .. known .. ':' .. ARGV[4]) == 1 then
  return 0
end
if not redis.call('SET', KEYS[3], ARGV[6], 'NX', 'PX', ARGV[5]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`;

/** Releases the adding lock if it is still the caller's. KEYS: lock. ARGV: token. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * Forgets ids whose jobs BullMQ has removed (by age, after retention) so the hash does not grow
 * forever. An id someone is adding right now, or re-registered under another name, is kept.
 *
 * KEYS: jobnames hash. ARGV: bull prefix, adding-lock prefix, then triples of id, name, bull id.
 */
const PRUNE = `
local removed = 0
for i = 3, #ARGV, 3 do
  local id, name, bullId = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', KEYS[1], id) == name
    and redis.call('EXISTS', ARGV[1] .. ':' .. name .. ':' .. bullId) == 0
    and redis.call('EXISTS', ARGV[2] .. id) == 0 then
    redis.call('HDEL', KEYS[1], id)
    removed = removed + 1
  end
end
return removed
`;

/** How long an adder holds an id's lock: far longer than an add takes, short enough that a crashed adder blocks nobody for long. */
const ADDING_LOCK_MS = 30_000;

/** The scripts over {@link QueueKeys}, run with EVAL (ioredis caches them as EVALSHA). */
export class QueueScripts {
  constructor(
    private readonly redis: Redis,
    private readonly keys: QueueKeys,
  ) {
    redis.defineCommand('wpRegisterJob', { numberOfKeys: 3, lua: REGISTER });
    redis.defineCommand('wpReleaseAdding', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('wpPruneJobNames', { numberOfKeys: 1, lua: PRUNE });
  }

  async register(id: string, name: string, token: string): Promise<boolean> {
    const k = this.keys;
    const result = await this.call('wpRegisterJob', [k.jobNames, k.names, k.adding(id)], [id, name, k.bullPrefix, toBullId(id), ADDING_LOCK_MS, token]);
    return result === 1;
  }

  async release(id: string, token: string): Promise<void> {
    await this.call('wpReleaseAdding', [this.keys.adding(id)], [token]);
  }

  async prune(entries: readonly (readonly [id: string, name: string])[]): Promise<number> {
    if (entries.length === 0) return 0;
    const k = this.keys;
    const args = entries.flatMap(([id, name]) => [id, name, toBullId(id)]);
    return (await this.call('wpPruneJobNames', [k.jobNames], [k.bullPrefix, k.adding(''), ...args])) as number;
  }

  private async call(command: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[command];
    if (!fn) throw new Error(`redis command ${command} is not defined`);
    return fn.call(this.redis, ...keys, ...args);
  }
}
