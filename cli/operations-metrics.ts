/**
 * Gauges an operator alerts on that no single component owns: the jobs waiting in the queue by
 * state (work piling up when workers are gone or slow), and whether the response circuit breaker
 * is open (automatic blocks stopped until an admin closes it). Read from the shared stores at
 * scrape time, so every process shows the cluster's value; a store that does not answer leaves
 * the gauge without a value for that scrape rather than failing the whole exposition.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../core/log.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { JobQueue, JobState } from '../core/stores/job-queue.js';
import { BREAKER_ID } from '../playbooks/safety/index.js';

const STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

/** Registers `watchpost_queue_jobs{state}` and `watchpost_response_breaker_open` on `metrics`. */
export function registerOperationsMetrics(metrics: Registry, deps: { readonly queue: JobQueue; readonly cases: CaseStore; readonly logger: Logger }): void {
  new Gauge({
    name: 'watchpost_queue_jobs',
    help: 'Jobs in the queue by state (all job names; completed and failed until retention purges them).',
    labelNames: ['state'],
    registers: [metrics],
    async collect() {
      this.reset();
      try {
        const counts = await deps.queue.counts();
        for (const state of STATES) this.set({ state }, counts[state]);
      } catch (error) {
        deps.logger.debug({ err: error }, 'queue counts unavailable for /metrics');
      }
    },
  });
  new Gauge({
    name: 'watchpost_response_breaker_open',
    help: 'The response circuit breaker: 1 while open (automatic blocks wait for approval), 0 when closed.',
    registers: [metrics],
    async collect() {
      this.reset();
      try {
        const breaker = await deps.cases.controls.get(BREAKER_ID);
        this.set(breaker?.state === 'open' ? 1 : 0);
      } catch (error) {
        deps.logger.debug({ err: error }, 'breaker state unavailable for /metrics');
      }
    },
  });
}
