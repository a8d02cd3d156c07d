import { Button, Group, Modal, Stack, Textarea } from '@mantine/core';
import { useState } from 'react';
import { ErrorState } from '../../components/States';

/** A modal asking for the reason of a decision (reject, release); the API requires one. */
export function ReasonDialog({
  title,
  confirm,
  opened,
  pending,
  error,
  onClose,
  onConfirm,
}: {
  readonly title: string;
  readonly confirm: string;
  readonly opened: boolean;
  readonly pending: boolean;
  readonly error: unknown;
  readonly onClose: () => void;
  readonly onConfirm: (reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  return (
    <Modal opened={opened} onClose={onClose} title={title} size="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (reason.trim()) onConfirm(reason.trim());
        }}
      >
        <Stack gap="xs">
          <Textarea label="Reason" required rows={3} maxLength={2000} value={reason} onChange={(e) => setReason(e.currentTarget.value)} data-autofocus />
          {error ? <ErrorState error={error} title="Refused" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color="red" loading={pending} disabled={!reason.trim()}>
              {confirm}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
