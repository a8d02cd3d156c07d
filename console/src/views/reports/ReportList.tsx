import { Badge, Button, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { formatTime } from '../incidents/format';
import { formatBytes, pdfFileName, pdfUrl, periodDays, type Report } from './reportsApi';

/** Recipients named in the list; the rest are counted. */
const MAX_RECIPIENTS_SHOWN = 2;

function MailStatus({ mail }: { readonly mail: Report['mail'] }) {
  if (!mail) {
    return (
      <Text size="sm" c="dimmed">
        not mailed
      </Text>
    );
  }
  if (mail.error !== undefined && (mail.accepted?.length ?? 0) === 0) {
    return (
      <Text size="sm" c="red">
        Not sent: {mail.error}
      </Text>
    );
  }
  const accepted = mail.accepted ?? [];
  const rejected = mail.rejected ?? [];
  const shown = accepted.slice(0, MAX_RECIPIENTS_SHOWN);
  return (
    <Stack gap={0}>
      <Text size="sm">
        {`Sent to ${accepted.length === 1 ? '1 recipient' : `${accepted.length} recipients`}`}
        {rejected.length > 0 ? <Text span size="sm" c="red">{`, ${rejected.length} refused`}</Text> : null}
      </Text>
      {shown.length > 0 ? (
        <Text size="xs" c="dimmed">
          {shown.join(', ')}
          {accepted.length > shown.length ? ` +${accepted.length - shown.length} more` : ''}
        </Text>
      ) : null}
      {mail.sentAt ? (
        <Text size="xs" c="dimmed">
          {formatTime(mail.sentAt)}
        </Text>
      ) : null}
    </Stack>
  );
}

function Figure({ value }: { readonly value: number | undefined }) {
  return <>{value === undefined ? '–' : value.toLocaleString()}</>;
}

/** The generated reports, newest week first, each ready one with a link that downloads its PDF. */
export function ReportList({ reports }: { readonly reports: readonly Report[] }) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table aria-label="Past reports" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Week</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th ta="right">Pages</Table.Th>
            <Table.Th ta="right">Size</Table.Th>
            <Table.Th ta="right">Alerts</Table.Th>
            <Table.Th ta="right">Incidents</Table.Th>
            <Table.Th ta="right">Blocks</Table.Th>
            <Table.Th>Mail</Table.Th>
            <Table.Th>Generated</Table.Th>
            <Table.Th>
              <VisuallyHidden>Download</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {reports.map((report) => {
            const days = periodDays(report.period);
            const week = report.period.week;
            return (
              <Table.Tr key={report.id}>
                <Table.Td>
                  <Stack gap={0}>
                    <Text size="sm" fw={600} ff="monospace">
                      {week}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {`${days.from} – ${days.to}`}
                    </Text>
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={report.status === 'ready' ? 'green' : 'red'}>
                    {report.status}
                  </Badge>
                  {report.error ? (
                    <Text size="xs" c="red" maw={260}>
                      {report.error}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td ta="right">
                  <Figure value={report.pages} />
                </Table.Td>
                <Table.Td ta="right">{report.sizeBytes === undefined ? '–' : formatBytes(report.sizeBytes)}</Table.Td>
                <Table.Td ta="right">
                  <Figure value={report.summary?.alerts} />
                </Table.Td>
                <Table.Td ta="right">
                  <Figure value={report.summary?.incidentsOpened} />
                </Table.Td>
                <Table.Td ta="right">
                  <Figure value={report.summary?.blocked} />
                </Table.Td>
                <Table.Td>
                  <MailStatus mail={report.mail} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{formatTime(report.updatedAt)}</Text>
                  <Text size="xs" c="dimmed">
                    {`by ${report.requestedBy}`}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {report.status === 'ready' ? (
                    <Button
                      component="a"
                      href={pdfUrl(report.id)}
                      download={pdfFileName(week)}
                      variant="light"
                      aria-label={`Download report ${week} (PDF${report.sizeBytes === undefined ? '' : `, ${formatBytes(report.sizeBytes)}`})`}
                    >
                      Download
                    </Button>
                  ) : (
                    <Text size="xs" c="dimmed">
                      No PDF
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
