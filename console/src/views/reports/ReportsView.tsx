import { Alert, Anchor, Button, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { IfRole } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, ErrorState, LoadingState } from '../../components/States';
import { formatDuration } from '../incidents/format';
import { GenerateForm } from './GenerateForm';
import { ReportList } from './ReportList';
import {
  fetchReports,
  generationState,
  MAX_WAIT_MS,
  pdfFileName,
  pdfUrl,
  POLL_MS,
  REPORTS_QUERY_KEY,
  type Generation,
  type GenerationState,
  type Report,
} from './reportsApi';

function Section({ title, children }: { readonly title: string; readonly children: ReactNode }) {
  return (
    <Paper withBorder p="sm" component="section" aria-label={title}>
      <Title order={2} size="h5" mb={4}>
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** Where the report asked for from this page stands: generating, ready, failed, or not there after the wait. */
function GenerationStatus({
  generation,
  state,
  now,
  report,
  onWaitAgain,
}: {
  readonly generation: Generation;
  readonly state: GenerationState;
  readonly now: number;
  readonly report: Report | undefined;
  readonly onWaitAgain: () => void;
}) {
  const { week } = generation;
  if (state === 'waiting') {
    return (
      <Group gap="xs" role="status" aria-live="polite">
        <Loader size="xs" aria-hidden />
        <Text size="sm">{`Generating the report for ${week}… ${formatDuration(Math.max(0, now - generation.requestedAt))}`}</Text>
      </Group>
    );
  }
  if (state === 'ready') {
    const mail = report?.mail;
    return (
      <Alert color="green" variant="light" title={`Report ${week} is ready`} role="status">
        <Stack gap={4}>
          <Text size="sm">
            <Anchor href={pdfUrl(generation.id)} download={pdfFileName(week)}>
              {`Download the new report for ${week}`}
            </Anchor>
            {report?.pages !== undefined ? ` (${report.pages} pages)` : ''}
          </Text>
          {generation.mail ? (
            <Text size="sm">
              {mail?.error !== undefined
                ? `Not mailed: ${mail.error}`
                : `Mailed to ${(mail?.accepted ?? []).length === 1 ? '1 recipient' : `${(mail?.accepted ?? []).length} recipients`}.`}
            </Text>
          ) : null}
        </Stack>
      </Alert>
    );
  }
  if (state === 'failed') {
    return (
      <Alert color="red" variant="light" title={`Report ${week} failed`} role="alert">
        <Text size="sm">{report?.error ?? 'The worker could not generate it.'}</Text>
      </Alert>
    );
  }
  return (
    <Alert color="yellow" variant="light" title={`Report ${week} is not ready after ${Math.round(MAX_WAIT_MS / 60_000)} minutes`} role="status">
      <Group justify="space-between">
        <Text size="sm">The report worker may be busy or not running. The request stays queued; check again later.</Text>
        <Button variant="light" onClick={onWaitAgain}>
          Check again
        </Button>
      </Group>
    </Alert>
  );
}

/**
 * Follows a requested report: the list is read every {@link POLL_MS} while the week's new record
 * is missing, and no more once it is there (ready or failed) or after {@link MAX_WAIT_MS}.
 */
function useGeneration() {
  const [generation, setGeneration] = useState<Generation>();
  const [now, setNow] = useState(() => Date.now());
  const reports = useQuery({
    queryKey: REPORTS_QUERY_KEY,
    queryFn: fetchReports,
    refetchInterval: (query) => (generation && generationState(generation, query.state.data?.items, Date.now()) === 'waiting' ? POLL_MS : false),
  });
  const state = generation ? generationState(generation, reports.data?.items, now) : undefined;
  useEffect(() => {
    if (state !== 'waiting') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [state]);
  const follow = (next: Generation) => {
    setNow(Date.now());
    setGeneration(next);
  };
  return { reports, generation, state, now, follow };
}

/** Reports (`/reports`): generate a week's report, follow it until it is ready, download past ones. */
export function ReportsView() {
  const { reports, generation, state, now, follow } = useGeneration();
  const items = reports.data?.items;
  const unavailable = reports.error instanceof ApiError && reports.error.status === 503;
  return (
    <Stack p="md" gap="sm">
      <PageHeader title="Reports" description="Weekly threat reports (PDF): alerts and incidents, top rules and attackers, response actions" />
      <Section title="Generate a report">
        <IfRole
          role="analyst"
          fallback={
            <Text size="sm" c="dimmed">
              Analysts and above generate reports; every user can download them.
            </Text>
          }
        >
          <Stack gap="xs">
            <GenerateForm reports={items} busy={state === 'waiting'} onRequested={follow} />
            {generation && state ? (
              <GenerationStatus
                generation={generation}
                state={state}
                now={now}
                report={items?.find((item) => item.id === generation.id)}
                onWaitAgain={() => follow({ ...generation, requestedAt: Date.now() })}
              />
            ) : null}
          </Stack>
        </IfRole>
      </Section>
      <Section title="Past reports">
        {reports.isPending ? (
          <LoadingState label="Loading reports…" />
        ) : reports.isError ? (
          <ErrorState error={reports.error} title={unavailable ? 'Reports are not available' : 'Could not load the reports'} />
        ) : items && items.length > 0 ? (
          <ReportList reports={items} />
        ) : (
          <EmptyState title="No reports yet">
            A report is generated each week on the schedule, and by hand above. Ready reports are listed here to download.
          </EmptyState>
        )}
      </Section>
    </Stack>
  );
}
