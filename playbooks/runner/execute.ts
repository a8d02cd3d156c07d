/**
 * The `playbook-run` job: a run's steps from `currentStep` on, until the run ends or a step waits
 * for approval. Safe to deliver more than once: an ended or waiting run is left alone, and an
 * interrupted step resumes (steps.ts).
 */
import type { PlaybookRun, RunStatus } from '../../core/cases/types.js';
import type { JobContext } from '../../core/stores/job-queue.js';
import type { RunJob } from '../../core/response/jobs.js';
import { changeRun, FINAL, loadSubject, playbookOf } from './context.js';
import { describeRun } from './describe.js';
import { runStep } from './steps.js';
import type { Runtime } from './types.js';

/** What the job resolves with (kept as the job's result). */
export interface RunJobResult {
  readonly runId: string;
  readonly status: RunStatus | 'missing';
}

/** Handles one `playbook-run` job. */
export async function handleRunJob(rt: Runtime, job: JobContext<RunJob>): Promise<RunJobResult> {
  const runId = job.data.runId;
  let run: PlaybookRun | undefined = await rt.cases.runs.get(runId);
  if (!run) {
    rt.logger.warn({ run: runId, job: job.id }, 'playbook-run job for a run that does not exist; dropped');
    return { runId, status: 'missing' };
  }
  // Ended, or waiting for a person (an approval sets `queued` before adding its job).
  if (FINAL.has(run.status) || run.status === 'pending_approval') return { runId, status: run.status };
  const playbook = playbookOf(rt, run.playbookId);
  if (!playbook) {
    const ended = await finishRun(rt, runId, 'failed', `playbook ${run.playbookId} is no longer loaded`);
    return { runId, status: ended.status };
  }
  if (run.status !== 'running') run = await changeRun(rt, runId, (current) => ({ ...current, status: 'running' }));
  const subject = await loadSubject(rt, run.trigger);
  for (let index = run.currentStep ?? 0; index < run.steps.length; index++) {
    if (job.signal.aborted) throw new Error('worker stopping: the run resumes on the next delivery');
    const next = await runStep(rt, run, index, playbook, subject, job);
    if (next === 'wait') return { runId, status: 'pending_approval' };
    if (next === 'stop') {
      const ended = await finishRun(rt, runId, 'failed');
      return { runId, status: ended.status };
    }
    const at = index + 1;
    run = await changeRun(rt, runId, (current) => ({ ...current, currentStep: Math.max(current.currentStep ?? 0, at) }));
  }
  const ended = await finishRun(rt, runId, 'succeeded');
  return { runId, status: ended.status };
}

/** Ends a run (unless it already ended) and logs it. */
export async function finishRun(rt: Runtime, runId: string, status: RunStatus, reason?: string): Promise<PlaybookRun> {
  const run = await changeRun(rt, runId, (current) =>
    FINAL.has(current.status) ? current : { ...current, status, ...(reason !== undefined ? { decisionReason: reason } : {}) },
  );
  rt.logger.info({ run: run.id, playbook: run.playbookId, status: run.status, ...(reason !== undefined ? { reason } : {}) }, `playbook run ended: ${describeRun(run)}`);
  return run;
}
