import { Anchor, Checkbox, Table, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import type { Virtualizer } from '@tanstack/react-virtual';
import type { ChangeEvent, RefObject } from 'react';
import { Link } from 'react-router';
import { SeverityBadge, STATUS_LABEL, TimeAgo } from './AlertBits';
import classes from './AlertTable.module.css';
import { KEY_ENTITIES, type AlertSort, type AlertView } from './types';

/** The height of one row in px: fixed, so the virtualizer needs no measuring. */
export const ROW_HEIGHT = 32;

/** Props of {@link AlertTable}. */
export interface AlertTableProps {
  readonly rows: readonly AlertView[];
  readonly virtualizer: Virtualizer<HTMLDivElement, Element>;
  readonly scrollRef: RefObject<HTMLDivElement | null>;
  readonly focusedIndex: number;
  readonly selected: ReadonlySet<string>;
  readonly sort: AlertSort;
  readonly order: 'asc' | 'desc';
  readonly caption: string;
  onFocusRow: (index: number) => void;
  onToggle: (index: number, range: boolean) => void;
  onToggleAll: () => void;
  onSort: (sort: AlertSort) => void;
}

// Fixed widths (px) for all but the rule title, which takes the rest: about 220 px at 1280 px wide,
// more on wider screens. Entities and assignee are cut with an ellipsis (the full text on hover).
const COLUMNS: readonly { key: string; label: string; width?: number; sort?: AlertSort }[] = [
  { key: 'select', label: 'Select', width: 36 },
  { key: 'severity', label: 'Severity', width: 112, sort: 'riskScore' },
  { key: 'rule', label: 'Rule' },
  { key: 'entities', label: 'Entities', width: 150 },
  { key: 'count', label: 'Count', width: 64, sort: 'count' },
  { key: 'firstSeen', label: 'First seen', width: 96, sort: 'firstSeen' },
  { key: 'lastSeen', label: 'Last seen', width: 104, sort: 'lastSeen' },
  { key: 'status', label: 'Status', width: 116 },
  { key: 'assignee', label: 'Assignee', width: 96 },
  { key: 'incident', label: 'Incident', width: 80 },
];

function entityText(alert: AlertView): string {
  return KEY_ENTITIES.flatMap((field) => (alert.entities[field] !== undefined ? [alert.entities[field]] : [])).join(' · ');
}

/**
 * The queue's table: a real <table> (so screen readers get rows and headers) whose body holds
 * only the rows in view plus a few, between two spacer rows that keep the scroll height.
 */
export function AlertTable(props: AlertTableProps) {
  const { rows, virtualizer, scrollRef, focusedIndex, selected } = props;
  const items = virtualizer.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const allSelected = rows.length > 0 && selected.size >= rows.length;

  return (
    <div ref={scrollRef} className={classes.scroller} data-testid="alert-scroller">
      <Table stickyHeader horizontalSpacing={8} className={classes.table} aria-rowcount={rows.length + 1}>
        <caption>
          <VisuallyHidden>{props.caption}</VisuallyHidden>
        </caption>
        <Table.Thead>
          <Table.Tr aria-rowindex={1}>
            {COLUMNS.map((column) => (
              <Table.Th
                key={column.key}
                className={classes.head}
                style={{ width: column.width }}
                aria-sort={column.sort && column.sort === props.sort ? (props.order === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                {column.key === 'select' ? (
                  <Checkbox
                    size="xs"
                    aria-label="Select all loaded alerts"
                    checked={allSelected}
                    indeterminate={!allSelected && selected.size > 0}
                    onChange={props.onToggleAll}
                  />
                ) : column.sort ? (
                  <UnstyledButton className={classes.sort} onClick={() => props.onSort(column.sort as AlertSort)}>
                    {column.label}
                    {column.sort === props.sort ? (props.order === 'asc' ? ' ▲' : ' ▼') : ''}
                  </UnstyledButton>
                ) : (
                  column.label
                )}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {before > 0 ? (
            <tr aria-hidden className={classes.spacer}>
              <td colSpan={COLUMNS.length} style={{ height: before }} />
            </tr>
          ) : null}
          {items.map((item) => {
            const alert = rows[item.index];
            if (!alert) return null;
            const focused = item.index === focusedIndex;
            const isSelected = selected.has(alert.id);
            return (
              <Table.Tr
                key={alert.id}
                aria-rowindex={item.index + 2}
                aria-current={focused ? 'true' : undefined}
                aria-selected={isSelected}
                data-focused={focused || undefined}
                data-alert-id={alert.id}
                className={classes.row}
                style={{ height: ROW_HEIGHT }}
                onClick={() => props.onFocusRow(item.index)}
              >
                <Table.Td>
                  <Checkbox
                    size="xs"
                    aria-label={`Select alert ${alert.ruleTitle} (${alert.id})`}
                    checked={isSelected}
                    onChange={(event: ChangeEvent<HTMLInputElement>) => props.onToggle(item.index, (event.nativeEvent as MouseEvent).shiftKey === true)}
                  />
                </Table.Td>
                <Table.Td>
                  <SeverityBadge severity={alert.severity} />
                </Table.Td>
                <Table.Td className={classes.cell}>
                  <Anchor component={Link} to={`/alerts/${encodeURIComponent(alert.id)}`} size="sm" title={alert.ruleTitle}>
                    {alert.ruleTitle}
                  </Anchor>
                </Table.Td>
                <Table.Td className={classes.cell} title={entityText(alert)}>
                  <Text span ff="monospace" size="xs">
                    {entityText(alert) || '—'}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">{alert.count}</Table.Td>
                <Table.Td>
                  <TimeAgo iso={alert.firstSeen} />
                </Table.Td>
                <Table.Td>
                  <TimeAgo iso={alert.lastSeen} />
                </Table.Td>
                <Table.Td className={classes.cell}>{STATUS_LABEL[alert.status]}</Table.Td>
                <Table.Td className={classes.cell} title={alert.assignee}>
                  {alert.assignee ?? '—'}
                </Table.Td>
                <Table.Td className={classes.cell}>
                  {alert.incidentId ? (
                    <Anchor
                      component={Link}
                      to={`/incidents/${encodeURIComponent(alert.incidentId)}`}
                      size="sm"
                      title={`Incident ${alert.incidentId}`}
                      aria-label={`Incident ${alert.incidentId}`}
                    >
                      Incident
                    </Anchor>
                  ) : (
                    '—'
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
          {after > 0 ? (
            <tr aria-hidden className={classes.spacer}>
              <td colSpan={COLUMNS.length} style={{ height: after }} />
            </tr>
          ) : null}
        </Table.Tbody>
      </Table>
    </div>
  );
}
