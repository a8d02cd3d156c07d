import { Button, Group, Text, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import type { TriageDialog } from './TriageDialogs';
import type { TriageAction } from './useTriage';

/** Props of {@link BulkBar}. */
export interface BulkBarProps {
  /** How many alerts the actions apply to (the selection, or the focused alert). */
  readonly targets: number;
  readonly selected: number;
  readonly canTriage: boolean;
  readonly busy: boolean;
  onAction: (action: TriageAction) => void;
  onDialog: (dialog: TriageDialog) => void;
  onClearSelection: () => void;
  readonly children?: ReactNode;
}

/** The triage buttons over the queue; they act on the selection, or on the focused alert when none is selected. */
export function BulkBar(props: BulkBarProps) {
  const disabled = props.targets === 0 || !props.canTriage || props.busy;
  const why = props.canTriage ? undefined : 'Triage needs the analyst role';
  const button = (label: string, onClick: () => void, color?: string) => (
    <Tooltip label={why} disabled={!why}>
      <Button variant="light" color={color} disabled={disabled} onClick={onClick}>
        {label}
      </Button>
    </Tooltip>
  );
  return (
    <Group gap={6} mb="xs" role="toolbar" aria-label="Triage the selected alerts">
      <Text size="sm" fw={500} aria-live="polite">
        {props.selected > 0 ? `${props.selected} selected` : props.targets > 0 ? 'Focused alert' : 'No alert'}
      </Text>
      {button('Acknowledge', () => props.onAction({ kind: 'status', status: 'acknowledged' }))}
      {button('In progress', () => props.onAction({ kind: 'status', status: 'in_progress' }))}
      {button('Close…', () => props.onDialog('close'))}
      {button('Assign…', () => props.onDialog('assign'))}
      {button('Link to incident…', () => props.onDialog('link'))}
      {button('Suppress…', () => props.onDialog('suppress'), 'orange')}
      {props.selected > 0 ? (
        <Button variant="subtle" onClick={props.onClearSelection}>
          Clear selection
        </Button>
      ) : null}
      {props.children}
    </Group>
  );
}
