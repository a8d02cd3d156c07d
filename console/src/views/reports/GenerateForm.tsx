import { Button, Checkbox, Group, NativeSelect, Stack } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { useAuth } from '../../app/auth';
import { ErrorState } from '../../components/States';
import { lastEndedWeeks, requestReport, type Generation, type Report } from './reportsApi';

/** Props of {@link GenerateForm}. */
export interface GenerateFormProps {
  /** The list as last read: a regenerated week is recognised by its record changing. */
  readonly reports: readonly Report[] | undefined;
  /** A generation is being followed: one at a time. */
  readonly busy: boolean;
  readonly onRequested: (generation: Generation) => void;
}

/**
 * Asks for a week's report (analysts and up): one of the last 12 ended weeks, the last full week
 * first; admins may also have it mailed to the configured recipients (the server enforces both).
 */
export function GenerateForm({ reports, busy, onRequested }: GenerateFormProps) {
  const auth = useAuth();
  const mayMail = auth.hasRole('admin');
  const weeks = useMemo(() => lastEndedWeeks(new Date()), []);
  const [week, setWeek] = useState(weeks[0]?.week ?? '');
  const [mail, setMail] = useState(false);
  const request = useMutation({
    mutationFn: (variables: { readonly week: string; readonly mail: boolean; readonly previousUpdatedAt: string | undefined }) =>
      requestReport({ week: variables.week, mail: variables.mail }),
    onSuccess: (answer, variables) =>
      onRequested({
        id: answer.id,
        week: answer.week,
        mail: variables.mail,
        requestedAt: Date.now(),
        ...(variables.previousUpdatedAt !== undefined ? { previousUpdatedAt: variables.previousUpdatedAt } : {}),
      }),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Read before asking: a quick worker may replace the record before the answer arrives.
    const previousUpdatedAt = reports?.find((report) => report.period.week === week)?.updatedAt;
    request.mutate({ week, mail: mayMail && mail, previousUpdatedAt });
  };

  return (
    <Stack gap="xs">
      <form onSubmit={submit} aria-label="Generate a report">
        <Group align="flex-end" gap="md">
          <NativeSelect
            label="Week"
            description="An ended ISO week (Monday to Sunday)"
            value={week}
            onChange={(event) => setWeek(event.currentTarget.value)}
            data={weeks.map((option, index) => ({ value: option.week, label: `${option.week} (${option.from} – ${option.to})${index === 0 ? ', last full week' : ''}` }))}
            w={440}
          />
          {mayMail ? (
            <Checkbox
              label="Mail to recipients"
              description="Send the PDF to the configured report recipients"
              checked={mail}
              onChange={(event) => setMail(event.currentTarget.checked)}
            />
          ) : null}
          <Button type="submit" size="sm" loading={request.isPending} disabled={busy || week === ''}>
            Generate
          </Button>
        </Group>
      </form>
      {request.isError ? <ErrorState error={request.error} title="Could not generate the report" /> : null}
    </Stack>
  );
}
