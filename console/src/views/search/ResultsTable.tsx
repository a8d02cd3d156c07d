import { ActionIcon, Code, Table, VisuallyHidden } from '@mantine/core';
import { Fragment, useState } from 'react';
import { formatTime } from '../incidents/format';
import { KEY_FIELDS, textOf } from './fields';

/** Widths (px) of the key field columns: enough for an IPv4 address or a typical action, then an ellipsis. */
const FIELD_WIDTH: Readonly<Record<string, number>> = {
  'event.action': 96,
  'event.outcome': 72,
  'source.ip': 108,
  'destination.ip': 108,
  'destination.port': 64,
  'user.name': 84,
  'host.name': 88,
};
const DEFAULT_FIELD_WIDTH = 96;
const TOGGLE_WIDTH = 32;
const TIME_WIDTH = 136;
/** Below this the message column stops shrinking and the table scrolls sideways inside its box. */
const MESSAGE_MIN_WIDTH = 200;

/** Props of {@link ResultsTable}. */
export interface ResultsTableProps {
  /** The events, flattened to dotted field names. */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly caption: string;
  /** Adds `field:value` to the query. */
  readonly onFilter: (field: string, value: unknown) => void;
}

/** Matching events: time, message (or the original line), key fields; a row opens to all its fields. */
export function ResultsTable({ rows, caption, onFilter }: ResultsTableProps) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const columns = KEY_FIELDS.filter((field) => rows.some((row) => row[field] !== undefined));
  const toggle = (index: number) =>
    setOpen((previous) => {
      const next = new Set(previous);
      if (next.has(index)) next.delete(index);
      else next.add(index);
      return next;
    });
  const widthOf = (field: string) => FIELD_WIDTH[field] ?? DEFAULT_FIELD_WIDTH;
  const minWidth = TOGGLE_WIDTH + TIME_WIDTH + MESSAGE_MIN_WIDTH + columns.reduce((sum, field) => sum + widthOf(field), 0);
  // Fixed layout: the columns keep their widths, the message takes what is left (wrapping by
  // words), and the page never grows past the window; at worst the table scrolls in its box.
  return (
    <Table.ScrollContainer minWidth={minWidth} maxHeight="calc(100vh - 120px)" type="native">
    <Table striped highlightOnHover stickyHeader horizontalSpacing={6} style={{ tableLayout: 'fixed', width: '100%' }}>
      <Table.Caption>{caption}</Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th w={TOGGLE_WIDTH}>
            <VisuallyHidden>Details</VisuallyHidden>
          </Table.Th>
          <Table.Th w={TIME_WIDTH}>Time</Table.Th>
          <Table.Th>Message</Table.Th>
          {columns.map((field) => (
            <Table.Th key={field} w={widthOf(field)} fz="xs" title={field} style={ELLIPSIS}>
              {field}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row, index) => {
          const expanded = open.has(index);
          const message = textOf(row.message ?? row['event.original']);
          return (
            <Fragment key={`${textOf(row['event.id'])}-${index}`}>
              <Table.Tr>
                <Table.Td>
                  <ActionIcon variant="subtle" size="sm" aria-expanded={expanded} aria-label={expanded ? 'Hide all fields' : 'Show all fields'} onClick={() => toggle(index)}>
                    {expanded ? '▾' : '▸'}
                  </ActionIcon>
                </Table.Td>
                <Table.Td fz="xs" style={{ whiteSpace: 'nowrap' }}>
                  {formatTime(textOf(row['@timestamp']))}
                </Table.Td>
                <Table.Td ff="monospace" fz="xs" style={{ overflowWrap: 'anywhere' }}>
                  {message.length > 300 ? `${message.slice(0, 300)}…` : message}
                </Table.Td>
                {columns.map((field) => (
                  <Table.Td key={field} ff="monospace" fz="xs" title={textOf(row[field])} style={ELLIPSIS}>
                    {textOf(row[field])}
                  </Table.Td>
                ))}
              </Table.Tr>
              {expanded ? (
                <Table.Tr>
                  <Table.Td colSpan={3 + columns.length}>
                    <Table withRowBorders={false} verticalSpacing={2} aria-label="All fields of the event">
                      <Table.Tbody>
                        {Object.keys(row)
                          .sort()
                          .map((field) => (
                            <Table.Tr key={field}>
                              <Table.Td w={240} ff="monospace" fz="xs">
                                {field}
                              </Table.Td>
                              <Table.Td>
                                <Code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{textOf(row[field])}</Code>
                              </Table.Td>
                              <Table.Td w={40}>
                                <ActionIcon variant="subtle" size="xs" aria-label={`Filter for ${field}`} onClick={() => onFilter(field, row[field])}>
                                  +
                                </ActionIcon>
                              </Table.Td>
                            </Table.Tr>
                          ))}
                      </Table.Tbody>
                    </Table>
                  </Table.Td>
                </Table.Tr>
              ) : null}
            </Fragment>
          );
        })}
      </Table.Tbody>
    </Table>
    </Table.ScrollContainer>
  );
}

const ELLIPSIS = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;
