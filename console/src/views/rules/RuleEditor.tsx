import { Badge, Box, Button, Group, List, Paper, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { IfRole } from '../../app/auth';
import { ErrorState } from '../../components/States';
import { problemsOf, samplesOf, testRule, uploadRule, type RuleProblem, type TestResult } from './rulesApi';

/** Validation waits this long after the last keystroke. */
export const VALIDATE_DELAY_MS = 600;

/** A placeholder event: the test route needs one; validation only reads the YAML's problems. */
const PROBE = [{ message: '' }];

const STARTER = `title: Root login over SSH
id: 4c7e1a52-0000-4000-8000-000000000001
status: experimental
author: you
level: high
tags:
    - attack.initial_access
logsource:
    product: linux
    service: sshd
detection:
    selection:
        user.name: root
        event.outcome: success
    condition: selection
`;

type Validation = { state: 'idle' | 'checking'; problems?: undefined; error?: undefined } | { state: 'done'; problems: RuleProblem[]; error?: unknown };

function Problems({ problems }: { readonly problems: readonly RuleProblem[] }) {
  return (
    <List size="xs" spacing={2} aria-label="Problems">
      {problems.map((p, i) => (
        <List.Item key={i}>
          <Text span ff="monospace" size="xs" c={p.severity === 'warning' ? 'yellow' : 'red'}>
            {p.line}:{p.col}
          </Text>{' '}
          {p.message}
        </List.Item>
      ))}
    </List>
  );
}

/** A monospace YAML editor with line numbers, live validation, a test on pasted lines and upload. */
export function RuleEditor() {
  const [yaml, setYaml] = useState(STARTER);
  const [validation, setValidation] = useState<Validation>({ state: 'idle' });
  const [lines, setLines] = useState('');
  const [uploadId, setUploadId] = useState('');
  const gutter = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setValidation({ state: 'checking' });
      testRule(yaml, { events: PROBE }, controller.signal).then(
        (result) => setValidation({ state: 'done', problems: result.problems }),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          const problems = problemsOf(error);
          setValidation({ state: 'done', problems, ...(problems.length === 0 ? { error } : {}) });
        },
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [yaml]);

  const samples = samplesOf(lines);
  const test = useMutation<TestResult, unknown, void>({ mutationFn: () => testRule(yaml, samples) });
  const upload = useMutation({ mutationFn: () => uploadRule(uploadId.trim() || undefined, yaml) });
  const lineCount = yaml.split('\n').length;
  const errors = validation.state === 'done' ? validation.problems.filter((p) => p.severity !== 'warning') : [];

  return (
    <SimpleGrid cols={2} spacing="sm">
      <Stack gap={4}>
        <Group justify="space-between">
          <Title order={3} size="h6">
            Rule YAML
          </Title>
          <Badge variant="light" color={validation.state !== 'done' ? 'gray' : errors.length > 0 || validation.error ? 'red' : 'green'} aria-live="polite">
            {validation.state === 'checking' ? 'checking…' : validation.state === 'idle' ? 'not checked' : errors.length > 0 ? `${errors.length} problem(s)` : validation.error ? 'not checked' : 'valid'}
          </Badge>
        </Group>
        <Box style={{ display: 'flex', border: '1px solid var(--mantine-color-default-border)', borderRadius: 4, height: 380, overflow: 'hidden' }}>
          <pre ref={gutter} aria-hidden style={{ margin: 0, padding: '6px 6px', textAlign: 'right', color: 'var(--mantine-color-dimmed)', fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12, lineHeight: '18px', overflow: 'hidden', userSelect: 'none' }}>
            {Array.from({ length: lineCount }, (_, i) => i + 1).join('\n')}
          </pre>
          <textarea
            aria-label="Rule YAML"
            spellCheck={false}
            value={yaml}
            onChange={(e) => setYaml(e.currentTarget.value)}
            onScroll={(e) => {
              if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
            }}
            style={{ flex: 1, resize: 'none', border: 0, outlineOffset: -2, padding: 6, fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12, lineHeight: '18px', background: 'transparent', color: 'inherit', whiteSpace: 'pre', overflow: 'auto' }}
          />
        </Box>
        {validation.state === 'done' && validation.problems.length > 0 ? <Problems problems={validation.problems} /> : null}
        {validation.state === 'done' && validation.error ? <ErrorState error={validation.error} title="Could not validate" /> : null}
        <IfRole
          role="responder"
          fallback={
            <Text size="xs" c="dimmed">
              Responders and above upload rules.
            </Text>
          }
        >
          <Group align="flex-end" gap="xs">
            <TextInput label="File id (optional)" size="xs" placeholder="root-login" value={uploadId} onChange={(e) => setUploadId(e.currentTarget.value)} />
            <Button onClick={() => upload.mutate()} loading={upload.isPending}>
              Upload rule
            </Button>
          </Group>
        </IfRole>
        {upload.isSuccess ? <Text size="xs" c="green">Uploaded as {upload.data.file}; ingest loads it at its next poll.</Text> : null}
        {upload.isError ? (
          problemsOf(upload.error).length > 0 ? (
            <Problems problems={problemsOf(upload.error)} />
          ) : (
            <ErrorState error={upload.error} title="Upload refused" />
          )
        ) : null}
      </Stack>
      <Stack gap={4}>
        <Title order={3} size="h6">
          Test against log lines
        </Title>
        <Textarea
          label="Sample lines (one per line: a raw log line as a sender or log file writes it, or an ECS event as JSON)"
          rows={10}
          ff="monospace"
          value={lines}
          onChange={(e) => setLines(e.currentTarget.value)}
        />
        <Group>
          <Button onClick={() => test.mutate()} loading={test.isPending} disabled={lines.trim() === ''}>
            Run test
          </Button>
        </Group>
        {test.isError ? problemsOf(test.error).length > 0 ? <Problems problems={problemsOf(test.error)} /> : <ErrorState error={test.error} title="Test refused" /> : null}
        {test.data ? (
          <Paper withBorder p="xs" aria-label="Test results">
            <Stack gap={2}>
              {test.data.events.map((event) => (
                <Text key={event.index} size="xs" title={samples.order[event.index]}>
                  Sample {event.index + 1}:{' '}
                  {event.matches.length === 0
                    ? 'no match'
                    : event.matches.map((m) => `${m.rule.title} (${m.matched.map((v) => `${v.field}=${String(v.value)}`).join(', ')})`).join('; ')}
                </Text>
              ))}
              {test.data.correlations.map((c, i) => (
                <Text key={i} size="xs" fw={600}>
                  Correlation fired: {c.rule.title}
                </Text>
              ))}
            </Stack>
          </Paper>
        ) : null}
      </Stack>
    </SimpleGrid>
  );
}
