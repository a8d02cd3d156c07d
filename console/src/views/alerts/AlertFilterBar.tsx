import { Button, Chip, Group, Select, TextInput } from '@mantine/core';
import { useState, type KeyboardEvent } from 'react';
import { STATUS_LABEL } from './AlertBits';
import type { AlertFilters, RangeKey } from './filters';
import { ALERT_STATUSES, SEVERITIES } from './types';

/** Props of {@link AlertFilterBar}. */
export interface AlertFilterBarProps {
  readonly filters: AlertFilters;
  onChange: (filters: AlertFilters) => void;
}

const RANGE_OPTIONS = [
  { value: '', label: 'Any time' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
];

/** A text filter that applies on Enter or when it loses focus (not on every keystroke). */
function DraftInput(props: { label: string; placeholder: string; value: string; width: number; onCommit: (value: string) => void }) {
  const [draft, setDraft] = useState(props.value);
  const [seen, setSeen] = useState(props.value);
  if (seen !== props.value) {
    setSeen(props.value);
    setDraft(props.value);
  }
  const commit = (): void => {
    if (draft.trim() !== props.value) props.onCommit(draft.trim());
  };
  return (
    <TextInput
      size="xs"
      w={props.width}
      label={props.label}
      placeholder={props.placeholder}
      value={draft}
      onChange={(event) => setDraft(event.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(event: KeyboardEvent<HTMLInputElement>) => {
        if (event.key === 'Enter') commit();
      }}
    />
  );
}

/** The queue's filters; every change goes to the URL through `onChange`. */
export function AlertFilterBar({ filters, onChange }: AlertFilterBarProps) {
  const set = (patch: Partial<AlertFilters>): void => onChange({ ...filters, ...patch });
  return (
    <Group gap="sm" align="flex-end" wrap="wrap" mb="xs" role="search" aria-label="Alert filters">
      <Chip.Group multiple value={filters.status} onChange={(value) => set({ status: value })}>
        <Group gap={4} role="group" aria-label="Status">
          {ALERT_STATUSES.map((status) => (
            <Chip key={status} value={status} size="xs">
              {STATUS_LABEL[status]}
            </Chip>
          ))}
        </Group>
      </Chip.Group>
      <Chip.Group multiple value={filters.severity} onChange={(value) => set({ severity: value })}>
        <Group gap={4} role="group" aria-label="Severity">
          {SEVERITIES.map((severity) => (
            <Chip key={severity} value={severity} size="xs">
              {severity}
            </Chip>
          ))}
        </Group>
      </Chip.Group>
      <DraftInput label="Entity" placeholder="192.0.2.10 or user.name=root" value={filters.entity} width={200} onCommit={(entity) => set({ entity })} />
      <DraftInput label="Rule id" placeholder="exact rule id" value={filters.rule} width={160} onCommit={(rule) => set({ rule })} />
      <DraftInput label="Assignee" placeholder="user id, me, none" value={filters.assignee} width={120} onCommit={(assignee) => set({ assignee })} />
      <Select
        size="xs"
        w={140}
        label="Last seen"
        data={RANGE_OPTIONS}
        value={filters.range}
        allowDeselect={false}
        onChange={(value) => set({ range: (value ?? '') as RangeKey | '', from: '', to: '' })}
      />
      <Button
        variant="subtle"
        onClick={() => onChange({ status: [], severity: [], rule: '', assignee: '', entity: '', range: '', from: '', to: '', sort: filters.sort, order: filters.order })}
      >
        Clear filters
      </Button>
    </Group>
  );
}
