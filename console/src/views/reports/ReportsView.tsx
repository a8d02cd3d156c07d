import { Paper, Stack } from '@mantine/core';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState } from '../../components/States';

/**
 * Reports: the weekly threat report (issue 9) is not built yet, so this view says so plainly and
 * shows no made-up reports. Once the API lists reports, this becomes the list and the generate button.
 */
export function ReportsView() {
  return (
    <Stack p="md" gap="sm">
      <PageHeader title="Reports" description="Weekly threat reports (PDF)" />
      <Paper withBorder p="md">
        <EmptyState title="No reports yet">
          Weekly PDF reports — alert and incident figures, top rules and sources, response actions — will be listed
          here to generate and download. The report generator is not part of this version of Watchpost yet, so there
          is nothing to show.
        </EmptyState>
      </Paper>
    </Stack>
  );
}
