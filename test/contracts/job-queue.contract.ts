import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasCode, UserError } from '../../core/errors.js';
import { PermanentJobError, type JobContext, type JobInfo, type JobQueue, type JobState } from '../../core/stores/job-queue.js';

/** What a backend's test file gives the suite: a queue on a fresh, empty backend, and ways to play other processes. */
export interface JobQueueHarness {
  readonly queue: JobQueue;
  /** Opens another queue object on the same backend, as a second process (or a restarted one) would. */
  readonly reopen?: () => Promise<JobQueue>;
  /**
   * Kills the process owning `queue` abruptly: its handlers never get to record an outcome and
   * its leases are not released (a closed database handle or dropped Redis connections).
   */
  readonly crash?: (queue: JobQueue) => Promise<void>;
  /** Closes everything the harness opened and deletes what it wrote. */
  readonly cleanup: () => Promise<void>;
}

/** Settings the suite needs to know to time its waits. */
export interface JobQueueContractOptions {
  /** The lease (BullMQ: lockDuration) the harness configured; stalled recovery takes about this long. */
  readonly leaseMs: number;
}

/**
 * The JobQueue contract (core/stores/job-queue.ts, docs/specs/storage.md) as one suite, run by
 * every implementation's test file. Each test gets a fresh harness. Timings are short (backoff
 * 50-200 ms, the harness's lease about 1 s) so a run takes seconds.
 */
export function describeJobQueueContract(
  name: string,
  open: () => Promise<JobQueueHarness>,
  options: JobQueueContractOptions = { leaseMs: 1000 },
): void {
  describe(`JobQueue contract: ${name}`, () => {
    let harness: JobQueueHarness;
    const opened: JobQueue[] = [];

    beforeEach(async () => {
      harness = await open();
    });

    afterEach(async () => {
      for (const queue of opened.splice(0)) await queue.close();
      await harness.cleanup();
    });

    /** A second "process" on the same backend; closed after the test. */
    async function reopen(): Promise<JobQueue> {
      if (!harness.reopen) throw new Error(`${name}: the harness must provide reopen() for this test`);
      const queue = await harness.reopen();
      opened.push(queue);
      return queue;
    }

    it('runs an added job and keeps the handler result', async () => {
      const { queue } = harness;
      const seen: JobContext<{ n: number }>[] = [];
      expect(await queue.add({ name: 'echo', id: 'job-1', data: { n: 21 } })).toEqual({ id: 'job-1', added: true });
      const worker = queue.work<{ n: number }>('echo', async (job) => {
        seen.push(job);
        return { doubled: job.data.n * 2 };
      });
      const info = await waitForState(queue, 'job-1', 'completed');
      expect(info).toMatchObject({ id: 'job-1', name: 'echo', state: 'completed', data: { n: 21 }, attemptsMade: 1, attempts: 3 });
      expect(info.result).toEqual({ doubled: 42 });
      expect(info.finishedAt).toBeTypeOf('number');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ id: 'job-1', name: 'echo', data: { n: 21 }, attempt: 1 });
      expect(seen[0]?.signal.aborted).toBe(false);
      await worker.close();
    });

    it('returns undefined for an unknown id', async () => {
      expect(await harness.queue.get('no-such-job')).toBeUndefined();
    });

    it('is idempotent by id: a known id is not added again, before or after it ran, whatever its name', async () => {
      const { queue } = harness;
      let runs = 0;
      expect((await queue.add({ name: 'once', id: 'dup-1', data: { v: 1 } })).added).toBe(true);
      expect(await queue.add({ name: 'once', id: 'dup-1', data: { v: 2 } })).toEqual({ id: 'dup-1', added: false });
      expect((await queue.add({ name: 'other-name', id: 'dup-1', data: { v: 3 } })).added).toBe(false);
      const worker = queue.work('once', async () => {
        runs += 1;
      });
      const info = await waitForState(queue, 'dup-1', 'completed');
      expect(info.data).toEqual({ v: 1 });
      expect((await queue.add({ name: 'once', id: 'dup-1', data: { v: 4 } })).added).toBe(false);
      await sleep(400);
      expect(runs).toBe(1);
      expect((await queue.counts('other-name')).waiting).toBe(0);
      await worker.close();
    });

    it('does not run a delayed job before its delay and runs it after', async () => {
      const { queue } = harness;
      const delayMs = 700;
      let ranAt: number | undefined;
      const worker = queue.work('later', async () => {
        ranAt = Date.now();
      });
      const before = Date.now();
      await queue.add({ name: 'later', id: 'delayed-1', data: {}, delayMs });
      await sleep(250);
      const waiting = await queue.get('delayed-1');
      expect(waiting?.state).toBe('delayed');
      expect(waiting?.runAt).toBeGreaterThanOrEqual(before + delayMs);
      expect(ranAt).toBeUndefined();
      await waitForState(queue, 'delayed-1', 'completed', 10_000);
      expect(ranAt).toBeDefined();
      expect((ranAt as number) - before).toBeGreaterThanOrEqual(delayMs - 5);
      await worker.close();
    });

    it('retries with a fixed backoff and succeeds on the third attempt', async () => {
      const { queue } = harness;
      const tries: { attempt: number; at: number }[] = [];
      const worker = queue.work('flaky', async (job) => {
        tries.push({ attempt: job.attempt, at: Date.now() });
        if (job.attempt < 3) throw new Error(`transient ${job.attempt}`);
        return 'third time lucky';
      });
      await queue.add({ name: 'flaky', id: 'retry-1', data: {}, attempts: 3, backoff: { type: 'fixed', delayMs: 150 } });
      const info = await waitForState(queue, 'retry-1', 'completed', 10_000);
      expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
      expect(gaps(tries)).toEqual([expect.any(Number), expect.any(Number)]);
      for (const gap of gaps(tries)) expect(gap).toBeGreaterThanOrEqual(150 - 5);
      expect(info).toMatchObject({ state: 'completed', attemptsMade: 3, result: 'third time lucky' });
      await worker.close();
    });

    it('backs off exponentially and fails with the last error once the attempts are used', async () => {
      const { queue } = harness;
      const tries: { attempt: number; at: number }[] = [];
      const worker = queue.work('doomed', async (job) => {
        tries.push({ attempt: job.attempt, at: Date.now() });
        throw new Error(`boom ${job.attempt}`);
      });
      await queue.add({ name: 'doomed', id: 'exhaust-1', data: {}, attempts: 3, backoff: { type: 'exponential', delayMs: 100 } });
      const info = await waitForState(queue, 'exhaust-1', 'failed', 10_000);
      expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);
      const [first, second] = gaps(tries);
      expect(first).toBeGreaterThanOrEqual(100 - 5);
      expect(second).toBeGreaterThanOrEqual(200 - 5);
      expect(info).toMatchObject({ state: 'failed', attemptsMade: 3, attempts: 3, error: 'boom 3' });
      expect(info.finishedAt).toBeTypeOf('number');
      await sleep(300);
      expect(tries).toHaveLength(3);
      await worker.close();
    });

    it('fails a job at once on a PermanentJobError or any UserError', async () => {
      const { queue } = harness;
      const runs: string[] = [];
      const worker = queue.work<{ kind: string }>('refused', async (job) => {
        runs.push(job.id);
        if (job.data.kind === 'permanent') throw new PermanentJobError('the target does not exist');
        throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', 'the action is misconfigured');
      });
      const backoff = { type: 'fixed', delayMs: 50 } as const;
      await queue.add({ name: 'refused', id: 'perm-1', data: { kind: 'permanent' }, attempts: 5, backoff });
      await queue.add({ name: 'refused', id: 'perm-2', data: { kind: 'user' }, attempts: 5, backoff });
      expect(await waitForState(queue, 'perm-1', 'failed')).toMatchObject({ attemptsMade: 1, error: 'the target does not exist' });
      expect(await waitForState(queue, 'perm-2', 'failed')).toMatchObject({ attemptsMade: 1, error: 'the action is misconfigured' });
      await sleep(300);
      expect(runs.sort()).toEqual(['perm-1', 'perm-2']);
      await worker.close();
    });

    it('keeps jobs across a restart: a queue reopened on the same backend runs them', async () => {
      const { queue } = harness;
      await queue.add({ name: 'durable', id: 'restart-1', data: { keep: true } });
      await queue.add({ name: 'durable', id: 'restart-2', data: { keep: true }, delayMs: 300 });
      await queue.close();
      const reopened = await reopen();
      expect((await reopened.get('restart-1'))?.state).toBe('waiting');
      const ran: string[] = [];
      const worker = reopened.work<{ keep: boolean }>('durable', async (job) => {
        ran.push(job.id);
        return job.data.keep;
      });
      expect((await waitForState(reopened, 'restart-1', 'completed')).result).toBe(true);
      await waitForState(reopened, 'restart-2', 'completed');
      expect(ran).toEqual(['restart-1', 'restart-2']);
      expect((await reopened.add({ name: 'durable', id: 'restart-1', data: { keep: false } })).added).toBe(false);
      await worker.close();
    });

    it('never runs one job twice when two processes work the same queue', async () => {
      const { queue } = harness;
      const other = await reopen();
      const runs = new Map<string, number>();
      const handler = async (job: JobContext<unknown>): Promise<void> => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await sleep(Math.floor(Math.random() * 10));
      };
      const workers = [queue.work('fanout', handler, { concurrency: 3 }), other.work('fanout', handler, { concurrency: 3 })];
      const total = 50;
      await Promise.all(
        Array.from({ length: total }, (_, i) => (i % 2 === 0 ? queue : other).add({ name: 'fanout', id: `fan-${i}`, data: { i } })),
      );
      await waitFor(async () => (await queue.counts('fanout')).completed === total, 20_000, 'all fan-out jobs completed');
      expect(runs.size).toBe(total);
      expect([...runs.values()].every((count) => count === 1)).toBe(true);
      await Promise.all(workers.map((worker) => worker.close()));
    });

    it('runs a job again on another worker once the lease of a dead worker expires', async () => {
      const { queue } = harness;
      if (!harness.crash) throw new Error(`${name}: the harness must provide crash() for this test`);
      const other = await reopen();
      let startedOnDead = 0;
      queue.work('stall', async (job) => {
        startedOnDead += 1;
        // Hangs until the "dead" process tears it down; whatever happens then is never recorded.
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
        throw new Error('torn down');
      });
      await queue.add({ name: 'stall', id: 'stall-1', data: { target: '203.0.113.7' }, attempts: 3, backoff: { type: 'fixed', delayMs: 50 } });
      await waitFor(async () => startedOnDead === 1, 10_000, 'the job started on the first worker');
      await harness.crash(queue);
      const attemptsOnSurvivor: number[] = [];
      const worker = other.work('stall', async (job) => {
        attemptsOnSurvivor.push(job.attempt);
        return 'recovered';
      });
      const info = await waitForState(other, 'stall-1', 'completed', options.leaseMs * 5 + 10_000);
      expect(attemptsOnSurvivor).toEqual([2]);
      expect(info).toMatchObject({ attemptsMade: 2, result: 'recovered' });
      expect(startedOnDead).toBe(1);
      await worker.close();
    });

    it('fails a job whose lease expired on its last attempt instead of running it again', async () => {
      const { queue } = harness;
      if (!harness.crash) throw new Error(`${name}: the harness must provide crash() for this test`);
      const other = await reopen();
      let started = false;
      queue.work('last-try', async (job) => {
        started = true;
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
      });
      await queue.add({ name: 'last-try', id: 'last-1', data: {}, attempts: 1 });
      await waitFor(async () => started, 10_000, 'the job started on the first worker');
      await harness.crash(queue);
      let ranOnSurvivor = false;
      const worker = other.work('last-try', async () => {
        ranOnSurvivor = true;
      });
      const info = await waitForState(other, 'last-1', 'failed', options.leaseMs * 5 + 10_000);
      expect(info).toMatchObject({ attemptsMade: 1, attempts: 1, error: expect.stringContaining('lease expired') });
      expect(ranOnSurvivor).toBe(false);
      await worker.close();
    });

    it('cancels only waiting and delayed jobs, and a cancelled id may be added again', async () => {
      const { queue } = harness;
      await queue.add({ name: 'cancel-me', id: 'c-delayed', data: {}, delayMs: 60_000 });
      await queue.add({ name: 'cancel-me', id: 'c-waiting', data: {} });
      expect(await queue.cancel('c-delayed')).toBe(true);
      expect(await queue.cancel('c-waiting')).toBe(true);
      expect(await queue.get('c-delayed')).toBeUndefined();
      expect(await queue.cancel('c-delayed')).toBe(false);
      expect(await queue.cancel('never-added')).toBe(false);
      expect((await queue.add({ name: 'cancel-me', id: 'c-delayed', data: {}, delayMs: 60_000 })).added).toBe(true);

      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      let started = false;
      const worker = queue.work('busy', async () => {
        started = true;
        await released;
        return 'done';
      });
      await queue.add({ name: 'busy', id: 'c-active', data: {} });
      await waitFor(async () => started, 10_000, 'the job started');
      expect(await queue.cancel('c-active')).toBe(false);
      expect((await queue.get('c-active'))?.state).toBe('active');
      release();
      await waitForState(queue, 'c-active', 'completed');
      expect(await queue.cancel('c-active')).toBe(false);
      expect((await queue.get('c-active'))?.state).toBe('completed');
      await worker.close();
    });

    it('counts jobs per state, for one name and for all', async () => {
      const { queue } = harness;
      await queue.add({ name: 'count-a', id: 'ca-1', data: {}, delayMs: 60_000 });
      await queue.add({ name: 'count-a', id: 'ca-2', data: {}, delayMs: 60_000 });
      await queue.add({ name: 'count-a', id: 'ca-3', data: {} });
      await queue.add({ name: 'count-b', id: 'cb-1', data: {} });
      await queue.add({ name: 'count-b', id: 'cb-2', data: {}, attempts: 1 });
      expect(await queue.counts('count-a')).toEqual({ waiting: 1, delayed: 2, active: 0, completed: 0, failed: 0 });
      const worker = queue.work('count-b', async (job) => {
        if (job.id === 'cb-2') throw new Error('no');
      });
      await waitForState(queue, 'cb-1', 'completed');
      await waitForState(queue, 'cb-2', 'failed');
      expect(await queue.counts('count-b')).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 1, failed: 1 });
      expect(await queue.counts()).toEqual({ waiting: 1, delayed: 2, active: 0, completed: 1, failed: 1 });
      expect(await queue.counts('count-none')).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
      await worker.close();
    });

    it('runs up to `concurrency` handlers of one worker at once', async () => {
      const { queue } = harness;
      for (let i = 0; i < 6; i++) await queue.add({ name: 'parallel', id: `par-${i}`, data: {} });
      let inFlight = 0;
      let most = 0;
      const worker = queue.work(
        'parallel',
        async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await sleep(200);
          inFlight -= 1;
        },
        { concurrency: 3 },
      );
      await waitFor(async () => (await queue.counts('parallel')).completed === 6, 10_000, 'all parallel jobs completed');
      expect(most).toBe(3);
      await worker.close();
    });

    it('rejects invalid ids, names, payloads and options, and accepts every valid id', async () => {
      const { queue } = harness;
      const base = { name: 'valid-name', id: 'valid-id', data: {} };
      const invalid = [
        { ...base, id: 'has:colon' },
        { ...base, id: '' },
        { ...base, id: 'x'.repeat(201) },
        { ...base, id: 'white space' },
        { ...base, id: 'slash/y' },
        { ...base, name: 'Upper' },
        { ...base, name: 'n'.repeat(65) },
        { ...base, name: '' },
        { ...base, name: 'under_score' },
        { ...base, data: 'x'.repeat(512 * 1024 + 1) },
        { ...base, data: undefined },
        { ...base, data: { big: 1n } },
        { ...base, attempts: 0 },
        { ...base, attempts: 1.5 },
        { ...base, delayMs: -1 },
        { ...base, backoff: { type: 'fixed' as const, delayMs: -5 } },
        { ...base, backoff: { type: 'linear' as 'fixed', delayMs: 5 } },
      ];
      for (const job of invalid) {
        const error: unknown = await queue.add(job).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(hasCode(error, 'WATCHPOST_ERR_QUEUE_INVALID_JOB'), JSON.stringify({ ...job, data: typeof job.data })).toBe(true);
        expect(error).toBeInstanceOf(UserError);
      }
      expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });

      // Ids a backend could mistake for something else: BullMQ refuses integer ids and keeps its
      // own keys ("meta", "wait", "id") beside the jobs' under the queue's prefix.
      const oddIds = ['12345', '0', 'meta', 'wait', 'id', 'events', '1.5', '-', 'A'.repeat(200)];
      for (const id of oddIds) expect((await queue.add({ name: 'odd-ids', id, data: { id } })).added, id).toBe(true);
      const worker = queue.work<{ id: string }>('odd-ids', async (job) => job.data.id);
      for (const id of oddIds) expect(await waitForState(queue, id, 'completed'), id).toMatchObject({ id, name: 'odd-ids', result: id });
      expect((await queue.add({ name: 'odd-ids', id: '12345', data: {} })).added).toBe(false);
      await worker.close();
    });

    it('aborts running handlers when the queue closes, waits for them, then refuses work', async () => {
      const { queue } = harness;
      let settled = false;
      let signal: AbortSignal | undefined;
      queue.work('long', async (job) => {
        signal = job.signal;
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
        await sleep(100);
        settled = true;
      });
      await queue.add({ name: 'long', id: 'long-1', data: {} });
      await waitFor(async () => signal !== undefined, 10_000, 'the handler started');
      await queue.close();
      expect(signal?.aborted).toBe(true);
      expect(settled).toBe(true);
      await queue.close();
      const error: unknown = await queue.add({ name: 'long', id: 'long-2', data: {} }).catch((e: unknown) => e);
      expect(hasCode(error, 'WATCHPOST_ERR_QUEUE_CLOSED')).toBe(true);
    });

    it('stops taking jobs once a worker is closed; another worker then takes them', async () => {
      const { queue } = harness;
      let runsOnClosed = 0;
      const closed = queue.work('handover', async () => {
        runsOnClosed += 1;
      });
      await closed.close();
      await closed.close();
      await queue.add({ name: 'handover', id: 'hand-1', data: {} });
      await sleep(400);
      expect(runsOnClosed).toBe(0);
      expect((await queue.get('hand-1'))?.state).toBe('waiting');
      const open = queue.work('handover', async () => 'taken');
      expect((await waitForState(queue, 'hand-1', 'completed')).result).toBe('taken');
      await open.close();
    });

    it('reports up in health', async () => {
      expect((await harness.queue.health()).state).toBe('up');
    });
  });
}

async function waitForState(queue: JobQueue, id: string, state: JobState, timeoutMs = 5000): Promise<JobInfo> {
  let last: JobInfo | undefined;
  await waitFor(
    async () => {
      last = await queue.get(id);
      return last?.state === state;
    },
    timeoutMs,
    () => `job ${id} to be ${state}; last seen ${JSON.stringify(last)}`,
  );
  return last as JobInfo;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(20);
  }
}

function gaps(tries: readonly { at: number }[]): number[] {
  return tries.slice(1).map((t, i) => t.at - (tries[i] as { at: number }).at);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
