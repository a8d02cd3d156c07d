import { Button, Group, Modal, NativeSelect, Radio, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { words } from './format';
import { STATUSES, VERDICT_LABELS, VERDICTS, type IncidentStatus, type Verdict } from './types';

/** Props of {@link StatusControl}. */
export interface StatusControlProps {
  readonly status: IncidentStatus;
  readonly verdict: Verdict | undefined;
  readonly disabled: boolean;
  /** Sends the move; resolves true when the API took it. */
  readonly onChange: (status: IncidentStatus, verdict: Verdict | undefined) => Promise<boolean>;
}

/**
 * The lifecycle move. Closing asks for the verdict first (true positive, false positive, benign)
 * and cannot be confirmed without one; the verdict already on a resolved incident is offered.
 */
export function StatusControl({ status, verdict, disabled, onChange }: StatusControlProps) {
  const [closing, setClosing] = useState(false);
  const [chosen, setChosen] = useState<Verdict | ''>(verdict ?? '');

  const pick = (value: string) => {
    if (!value || value === status) return;
    if (value === 'closed') {
      setChosen(verdict ?? '');
      setClosing(true);
      return;
    }
    void onChange(value as IncidentStatus, undefined);
  };

  return (
    <>
      <NativeSelect
        label="Status"
        size="xs"
        w={150}
        data={STATUSES.map((s) => ({ value: s, label: words(s) }))}
        value={status}
        onChange={(event) => pick(event.currentTarget.value)}
        disabled={disabled}
      />
      <Modal opened={closing} onClose={() => setClosing(false)} title="Close the incident" centered>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!chosen) return;
            void onChange('closed', chosen).then((ok) => ok && setClosing(false));
          }}
        >
          <Stack gap="sm">
            <Radio.Group label="Verdict" description="Required to close: the linked alerts are closed with it." value={chosen} onChange={(v) => setChosen(v)} withAsterisk>
              <Stack gap={6} mt={6}>
                {VERDICTS.map((v) => (
                  <Radio key={v} value={v} label={VERDICT_LABELS[v]} />
                ))}
              </Stack>
            </Radio.Group>
            {!chosen ? (
              <Text size="xs" c="dimmed">
                Choose a verdict to close.
              </Text>
            ) : null}
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={() => setClosing(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={!chosen}>
                Close incident
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
