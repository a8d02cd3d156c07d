import { Alert, Center, Code, Group, Loader, Stack, Text, Title } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

/** The loading state of a view or panel: a spinner with a label screen readers announce. */
export function LoadingState({ label = 'Loading…' }: { readonly label?: string }) {
  return (
    <Center p="md" role="status" aria-live="polite">
      <Group gap="xs">
        <Loader size="sm" aria-hidden />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Group>
    </Center>
  );
}

/** The error state: the API's message and code (or the thrown error's message), announced as an alert. */
export function ErrorState({ error, title = 'Could not load' }: { readonly error: unknown; readonly title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  const problems = error instanceof ApiError ? error.problems : [];
  return (
    <Alert color="red" variant="light" title={title} role="alert">
      <Stack gap={4}>
        <Text size="sm">{message}</Text>
        {code ? (
          <Text size="xs" c="dimmed">
            Code: <Code>{code}</Code>
          </Text>
        ) : null}
        {problems.map((problem, i) => (
          <Text key={i} size="xs">
            {problem.path ? <Code>{problem.path}</Code> : null} {problem.message}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}

/** The empty state: a short title and, optionally, what to do next. */
export function EmptyState({ title, children }: { readonly title: string; readonly children?: ReactNode }) {
  return (
    <Stack align="center" gap={4} p="lg" role="status">
      <Title order={3} size="h5">
        {title}
      </Title>
      {children ? (
        <Text size="sm" c="dimmed" ta="center">
          {children}
        </Text>
      ) : null}
    </Stack>
  );
}

/** Whether data looks empty: an empty array, or an object whose `items`/`data` array is empty. */
export function isEmptyData(data: unknown): boolean {
  if (Array.isArray(data)) return data.length === 0;
  if (data && typeof data === 'object') {
    for (const key of ['items', 'data', 'rows', 'results'] as const) {
      const value = (data as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value.length === 0;
    }
  }
  return data === undefined || data === null;
}

/** Props of {@link QueryView}. */
export interface QueryViewProps<T> {
  readonly query: Pick<UseQueryResult<T>, 'data' | 'error' | 'isPending' | 'isError'>;
  /**
   * The empty state. A node is shown when the data is empty by {@link isEmptyData} (an empty array
   * or an empty `items`/`data` array); a function decides itself and returns a node to show or a
   * falsy value to render children.
   */
  readonly empty?: ReactNode | ((data: T) => ReactNode | null | undefined | false);
  readonly loadingLabel?: string;
  /** The content: a render function of the data, or plain nodes. */
  readonly children: ReactNode | ((data: T) => ReactNode);
}

/** Picks the loading, error, empty or content state of a TanStack query result. */
export function QueryView<T>({ query, empty, loadingLabel, children }: QueryViewProps<T>) {
  if (query.isPending) return <LoadingState {...(loadingLabel ? { label: loadingLabel } : {})} />;
  if (query.isError) return <ErrorState error={query.error} />;
  const data = query.data as T;
  if (typeof empty === 'function') {
    const node = (empty as (data: T) => ReactNode)(data);
    if (node) return <>{node}</>;
  } else if (empty !== undefined && empty !== null && empty !== false && isEmptyData(data)) {
    return <>{empty}</>;
  }
  return <>{typeof children === 'function' ? (children as (data: T) => ReactNode)(data) : children}</>;
}
