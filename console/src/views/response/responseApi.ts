import { api } from '../../api/client';

/** Types restated from api/routes/{runs,blocks,response} (the console's tsconfig has no Node types). */
export type RunStatus = 'pending_approval' | 'queued' | 'running' | 'succeeded' | 'failed' | 'rejected' | 'skipped' | 'cancelled';

export interface StepOutcome {
  readonly driver: string;
  readonly status: 'succeeded' | 'failed' | 'skipped';
  readonly verified?: boolean;
  readonly error?: string;
  readonly at: string;
}

export interface RunStep {
  readonly id: string;
  readonly action: string;
  readonly status: RunStatus;
  readonly dryRun: boolean;
  readonly attempts: number;
  readonly input?: Record<string, unknown>;
  readonly drivers?: string[];
  readonly approval?: 'auto' | 'required';
  readonly approvalReasons?: string[];
  readonly outcomes?: StepOutcome[];
  readonly error?: string;
  readonly approvedBy?: string;
  readonly rejectedBy?: string;
  readonly reason?: string;
}

export interface Run {
  readonly id: string;
  readonly playbookId: string;
  readonly trigger: { readonly alertId?: string; readonly incidentId?: string };
  readonly status: RunStatus;
  readonly steps: RunStep[];
  readonly currentStep?: number;
  readonly dryRun?: boolean;
  readonly approvalExpiresAt?: string;
  readonly requestedBy?: string;
  readonly decidedBy?: string;
  readonly decisionReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Block {
  readonly id: string;
  readonly kind: 'ip' | 'account';
  readonly target: string;
  readonly driver: string;
  readonly state: 'active' | 'released' | 'failed';
  readonly reason: string;
  readonly createdBy: string;
  readonly offense: number;
  readonly runId?: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly secondsLeft?: number;
  readonly verifiedAt?: string;
  readonly lastError?: string;
}

export interface Breaker {
  readonly id: 'breaker';
  readonly state: 'closed' | 'open';
  readonly reason?: string;
  readonly openedAt?: string;
  readonly closedBy?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly nextCursor?: string;
}

export const fetchRuns = (status?: RunStatus) => api<Page<Run>>('/api/v1/runs', { query: { status, limit: 100 } });
export const fetchBlocks = (kind: 'ip' | 'account') => api<Page<Block>>('/api/v1/blocks', { query: { state: 'active', kind, limit: 200 } });
export const fetchBreaker = () => api<Breaker>('/api/v1/response/breaker');

export const approveRun = (run: Run, stepId: string | undefined) =>
  api<Run>(`/api/v1/runs/${encodeURIComponent(run.id)}/approve`, { method: 'POST', query: { step: stepId } });
export const rejectRun = (run: Run, stepId: string | undefined, reason: string) =>
  api<Run>(`/api/v1/runs/${encodeURIComponent(run.id)}/reject`, { method: 'POST', query: { step: stepId }, body: { reason } });
export const releaseBlock = (block: Block, reason: string) =>
  api<Block>(`/api/v1/blocks/${encodeURIComponent(block.id)}/release`, { method: 'POST', body: { reason } });
export const closeBreaker = () => api<Breaker>('/api/v1/response/breaker/close', { method: 'POST' });

/** Whether a page of runs holds one that is queued or running (its blocks are about to change). */
export function hasBusyRuns(runs: Page<Run> | undefined): boolean {
  return (runs?.items ?? []).some((run) => run.status === 'queued' || run.status === 'running');
}

/** Blocks poll every 3 s while a run is queued or running (a new block shows within seconds), else every 30 s. */
export const BUSY_POLL_MS = 3_000;
export const IDLE_POLL_MS = 30_000;

/** The poll interval of the run list and the blocks, from the newest runs. */
export function pollInterval(runs: Page<Run> | undefined): number {
  return hasBusyRuns(runs) ? BUSY_POLL_MS : IDLE_POLL_MS;
}

/** The step a run executes next or waits at. */
export function currentStep(run: Run): RunStep | undefined {
  return run.steps[run.currentStep ?? 0];
}

/** `1h 02m 05s` style, for time left. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}
