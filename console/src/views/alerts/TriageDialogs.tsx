import { Button, Checkbox, Group, Radio, SegmentedControl, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { UserPicker } from '../../components/UserPicker';
import { VERDICT_LABEL } from './AlertBits';
import { KEY_ENTITIES, VERDICTS, type AlertView, type Verdict } from './types';
import type { SuppressionDraft } from './api';

/** Which triage dialog is open. */
export type TriageDialog = 'close' | 'assign' | 'link' | 'suppress' | undefined;

/** What a dialog asks to be done. */
export type TriageRequest =
  | { readonly kind: 'close'; readonly verdict: Verdict }
  | { readonly kind: 'assign'; readonly assignee: string | null }
  | { readonly kind: 'link'; readonly incidentId: string }
  | { readonly kind: 'new-incident'; readonly title: string }
  | { readonly kind: 'suppress'; readonly drafts: SuppressionDraft[]; readonly expiresAt: string; readonly reason: string };

interface DialogProps {
  readonly alerts: readonly AlertView[];
  readonly busy: boolean;
  onSubmit: (request: TriageRequest) => void;
  onClose: () => void;
}

const count = (alerts: readonly AlertView[]): string => (alerts.length === 1 ? '1 alert' : `${alerts.length} alerts`);

function CloseDialog({ alerts, busy, onSubmit, onClose }: DialogProps) {
  const [verdict, setVerdict] = useState<Verdict | ''>('');
  return (
    <Dialog onClose={onClose} title={`Close ${count(alerts)}`}>
      <Stack gap="sm">
        <Radio.Group label="Verdict" value={verdict} onChange={(value) => setVerdict(value)} required>
          <Stack gap={6} mt={4}>
            {VERDICTS.map((value) => (
              <Radio key={value} value={value} label={VERDICT_LABEL[value]} />
            ))}
          </Stack>
        </Radio.Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button disabled={!verdict} loading={busy} onClick={() => verdict && onSubmit({ kind: 'close', verdict })}>
            Close alerts
          </Button>
        </Group>
      </Stack>
    </Dialog>
  );
}

/** The assignee the alerts share, or undefined when they differ (nothing is preselected then). */
function sharedAssignee(alerts: readonly AlertView[]): string | null | undefined {
  const assignees = new Set(alerts.map((alert) => alert.assignee ?? null));
  return assignees.size === 1 ? [...assignees][0] : undefined;
}

function AssignDialog({ alerts, busy, onSubmit, onClose, me }: DialogProps & { readonly me: string | undefined }) {
  const current = sharedAssignee(alerts);
  // undefined: nothing chosen yet, so Enter cannot unassign by accident.
  const [choice, setChoice] = useState<string | null | undefined>(current);
  const unchanged = choice === current;
  return (
    <Dialog onClose={onClose} title={`Assign ${count(alerts)}`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (choice !== undefined && !unchanged) onSubmit({ kind: 'assign', assignee: choice });
        }}
      >
        <Stack gap="sm">
          <UserPicker label="Assign to" value={choice} onChange={setChoice} me={me} size="sm" autoFocus />
          <Group justify="space-between">
            <Button variant="default" disabled={!me || current === me} loading={busy} onClick={() => me && onSubmit({ kind: 'assign', assignee: me })}>
              Assign to me
            </Button>
            <Button type="submit" disabled={choice === undefined || unchanged} loading={busy}>
              {choice === null ? 'Unassign' : 'Assign'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

function LinkDialog({ alerts, busy, onSubmit, onClose }: DialogProps) {
  const [mode, setMode] = useState<'existing' | 'new'>('existing');
  const [incidentId, setIncidentId] = useState('');
  const first = alerts[0];
  const [title, setTitle] = useState(first ? `${first.ruleTitle}${alerts.length > 1 ? ` and ${alerts.length - 1} more` : ''}` : '');
  return (
    <Dialog onClose={onClose} title={`Link ${count(alerts)} to an incident`}>
      <Stack gap="sm">
        <SegmentedControl
          value={mode}
          onChange={(value) => setMode(value)}
          data={[
            { value: 'existing', label: 'Existing incident' },
            { value: 'new', label: 'New incident' },
          ]}
        />
        {mode === 'existing' ? (
          <TextInput label="Incident id" value={incidentId} onChange={(event) => setIncidentId(event.currentTarget.value)} />
        ) : (
          <TextInput label="Incident title" value={title} onChange={(event) => setTitle(event.currentTarget.value)} />
        )}
        <Group justify="flex-end">
          <Button
            loading={busy}
            disabled={mode === 'existing' ? !incidentId.trim() : !title.trim()}
            onClick={() => onSubmit(mode === 'existing' ? { kind: 'link', incidentId: incidentId.trim() } : { kind: 'new-incident', title: title.trim() })}
          >
            Link
          </Button>
        </Group>
      </Stack>
    </Dialog>
  );
}

const DURATIONS = [
  { value: '3600000', label: '1 hour' },
  { value: '86400000', label: '24 hours' },
  { value: '604800000', label: '7 days' },
  { value: '2592000000', label: '30 days' },
];

/** One suppression per distinct set of key entities (and rule, when limited to the rule). */
export function suppressionDrafts(alerts: readonly AlertView[], perRule: boolean): SuppressionDraft[] {
  const drafts = new Map<string, SuppressionDraft>();
  for (const alert of alerts) {
    const fields: Record<string, string> = {};
    for (const field of KEY_ENTITIES) if (alert.entities[field] !== undefined) fields[field] = alert.entities[field];
    if (Object.keys(fields).length === 0) Object.assign(fields, alert.entities);
    if (Object.keys(fields).length === 0) continue;
    const draft = perRule ? { fields, rule: alert.ruleId } : { fields };
    drafts.set(JSON.stringify(draft), draft);
  }
  return [...drafts.values()];
}

function SuppressDialog({ alerts, busy, onSubmit, onClose }: DialogProps) {
  const [duration, setDuration] = useState('86400000');
  const [reason, setReason] = useState('');
  const [perRule, setPerRule] = useState(true);
  const drafts = suppressionDrafts(alerts, perRule);
  return (
    <Dialog onClose={onClose} title={`Suppress the entities of ${count(alerts)}`}>
      <Stack gap="sm">
        <Text size="sm">
          Creates {drafts.length} suppression{drafts.length === 1 ? '' : 's'}: new alerts with the same {KEY_ENTITIES.join(', ')} are not raised until it expires.
        </Text>
        <Checkbox label="Only for the alert's rule" checked={perRule} onChange={(event) => setPerRule(event.currentTarget.checked)} />
        <Select label="Duration" data={DURATIONS} value={duration} allowDeselect={false} onChange={(value) => setDuration(value ?? '86400000')} />
        <Textarea label="Reason" required value={reason} onChange={(event) => setReason(event.currentTarget.value)} autosize minRows={2} />
        <Group justify="flex-end">
          <Button
            loading={busy}
            disabled={!reason.trim() || drafts.length === 0}
            onClick={() => onSubmit({ kind: 'suppress', drafts, reason: reason.trim(), expiresAt: new Date(Date.now() + Number(duration)).toISOString() })}
          >
            Suppress
          </Button>
        </Group>
      </Stack>
    </Dialog>
  );
}

/** The open triage dialog, if any. */
export function TriageDialogs(props: DialogProps & { readonly dialog: TriageDialog; readonly me: string | undefined }) {
  switch (props.dialog) {
    case 'close':
      return <CloseDialog {...props} />;
    case 'assign':
      return <AssignDialog {...props} />;
    case 'link':
      return <LinkDialog {...props} />;
    case 'suppress':
      return <SuppressDialog {...props} />;
    case undefined:
      return null;
  }
}
