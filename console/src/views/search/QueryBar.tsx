import { Box, Code, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { getEvents, QueryError, type TermsAnswer } from './api';
import { COMMON_FIELDS } from './fields';
import { FIELD_NAME, kqlValue, matchFields, replaceToken, tokenAt } from './suggest';

const LIST_ID = 'kql-suggestions';

/** Props of {@link QueryBar}. */
export interface QueryBarProps {
  readonly value: string;
  /** The query last searched (the one an error is about). */
  readonly submitted: string;
  readonly onChange: (value: string) => void;
  /** The fields of the current results, suggested with the common ECS ones. */
  readonly resultFields: readonly string[];
  readonly from: string;
  readonly to: string;
  /** The search's error: a syntax error shows its position under the query. */
  readonly error: unknown;
}

/** The query under a caret at the API's (1-based) line and column. */
export function SyntaxCaret({ query, line, column }: { readonly query: string; readonly line: number; readonly column: number }) {
  const text = query.split(/\r\n|\n|\r/)[line - 1] ?? '';
  return (
    <Code block aria-label={`Error at line ${line}, column ${column}`} data-testid="syntax-caret">
      {`${text}\n${' '.repeat(Math.max(0, column - 1))}^`}
    </Code>
  );
}

/**
 * The KQL box: suggests field names (common ECS fields and those of the results) while a field
 * is typed, and the most frequent values of the field (GET /api/v1/events/terms over the time
 * range) once `field:` is typed; picking one completes the token under the caret.
 */
export function QueryBar({ value, submitted, onChange, resultFields, from, to, error }: QueryBarProps) {
  const input = useRef<HTMLInputElement>(null);
  const [caret, setCaret] = useState(value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const context = tokenAt(value, Math.min(caret, value.length));
  const valueField = context?.kind === 'value' && FIELD_NAME.test(context.field) ? context.field : undefined;
  const terms = useQuery({
    queryKey: ['events', 'terms', valueField, from, to, 20],
    queryFn: ({ signal }) => getEvents<TermsAnswer>('/api/v1/events/terms', { field: valueField, from, to, size: 20 }, signal),
    enabled: valueField !== undefined,
    staleTime: 60_000,
  });

  let options: { value: string; label: string }[] = [];
  if (context?.kind === 'field') {
    const fields = [...new Set([...COMMON_FIELDS, ...resultFields])].sort();
    options = matchFields(fields, context.prefix).map((field) => ({ value: replaceToken(value, context, `${field}:`).query, label: field }));
  } else if (context?.kind === 'value' && terms.data) {
    const prefix = context.prefix.toLowerCase();
    options = terms.data.buckets
      .slice()
      .filter((bucket) => String(bucket.value).toLowerCase().startsWith(prefix))
      .map((bucket) => ({ value: replaceToken(value, context, `${context.field}:${kqlValue(bucket.value)} `).query, label: `${String(bucket.value)}  (${bucket.count})` }));
  }

  const syntax = error instanceof QueryError && error.column !== undefined ? error : undefined;
  const trackCaret = () => setCaret(input.current?.selectionStart ?? value.length);
  const shown = open ? options : [];
  const pick = (option: { value: string }) => {
    const nextCaret = option.value.length - (value.length - (context?.end ?? value.length));
    onChange(option.value);
    setCaret(nextCaret);
    setActive(-1);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(nextCaret, nextCaret);
    });
  };

  return (
    <Stack gap={4} style={{ flex: 1, position: 'relative' }}>
      <TextInput
        ref={input}
        label="Query (KQL)"
        placeholder="e.g. event.outcome:failure and source.ip:10.0.0.0/8"
        size="xs"
        ff="monospace"
        value={value}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown.length > 0}
        aria-controls={LIST_ID}
        aria-activedescendant={active >= 0 && active < shown.length ? `${LIST_ID}-${active}` : undefined}
        onChange={(event) => {
          onChange(event.currentTarget.value);
          setCaret(event.currentTarget.selectionStart ?? event.currentTarget.value.length);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={(event) => {
          if (shown.length === 0) return;
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            const step = event.key === 'ArrowDown' ? 1 : -1;
            setActive((current) => (current + step + shown.length) % shown.length);
          } else if ((event.key === 'Enter' || event.key === 'Tab') && active >= 0 && shown[active]) {
            event.preventDefault();
            pick(shown[active]);
          } else if (event.key === 'Escape') {
            setOpen(false);
          }
        }}
        onKeyUp={trackCaret}
        onClick={trackCaret}
        onBlur={() => setOpen(false)}
        onFocus={() => setOpen(true)}
        error={syntax ? `Syntax error at column ${syntax.column}` : undefined}
        aria-describedby={syntax ? 'kql-syntax-error' : undefined}
        spellCheck={false}
        autoComplete="off"
      />
      {shown.length > 0 ? (
        <Paper withBorder shadow="md" p={2} style={{ position: 'absolute', top: 44, left: 0, right: 0, zIndex: 20, maxHeight: 280, overflowY: 'auto' }}>
          <Box component="ul" id={LIST_ID} role="listbox" aria-label={context?.kind === 'value' ? `Values of ${context.field}` : 'Fields'} m={0} p={0} style={{ listStyle: 'none' }}>
            {shown.map((option, index) => (
              <Box
                component="li"
                key={option.value}
                id={`${LIST_ID}-${index}`}
                role="option"
                aria-selected={index === active}
                px="xs"
                py={2}
                ff="monospace"
                fz="xs"
                bg={index === active ? 'var(--mantine-primary-color-light)' : undefined}
                style={{ cursor: 'pointer' }}
                // mousedown, not click: the input's blur would close the list first.
                onMouseDown={(event) => {
                  event.preventDefault();
                  pick(option);
                }}
              >
                {option.label}
              </Box>
            ))}
          </Box>
        </Paper>
      ) : null}
      {syntax ? (
        <Stack gap={2} id="kql-syntax-error" role="alert">
          <Text size="xs" c="red">
            {syntax.message}
          </Text>
          <SyntaxCaret query={submitted} line={syntax.line ?? 1} column={syntax.column ?? 1} />
        </Stack>
      ) : null}
    </Stack>
  );
}
