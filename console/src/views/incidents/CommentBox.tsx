import { Button, Group, Stack, Tabs, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import { CommentText } from './CommentText';
import type { IncidentWriter } from './useIncidentWrite';

/** The largest comment the API takes (MAX_COMMENT_LENGTH). */
const MAX_COMMENT = 64 * 1024;

/** Write a comment in Markdown, with a preview through the same renderer the timeline uses. */
export function CommentBox({ writer }: { readonly writer: IncidentWriter }) {
  const [body, setBody] = useState('');
  const [tab, setTab] = useState<string | null>('write');
  const send = async () => {
    if (!body.trim()) return;
    if (await writer.write({ path: '/comments', body: { body } })) {
      setBody('');
      setTab('write');
    }
  };
  return (
    <Stack gap={4}>
      <Tabs value={tab} onChange={setTab} variant="outline">
        <Tabs.List>
          <Tabs.Tab value="write">Write</Tabs.Tab>
          <Tabs.Tab value="preview">Preview</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="write" pt={4}>
          <Textarea
            label="Comment"
            description="Markdown: **bold**, *italic*, `code`, lists, headings, http(s) and mailto links. HTML shows as text."
            rows={5}
            resize="vertical"
            maxLength={MAX_COMMENT}
            value={body}
            onChange={(e) => setBody(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send();
            }}
          />
        </Tabs.Panel>
        <Tabs.Panel value="preview" pt={4}>
          {body ? <CommentText body={body} /> : <Text size="sm" c="dimmed">Nothing to preview.</Text>}
        </Tabs.Panel>
      </Tabs>
      <Group justify="flex-end">
        <Text size="xs" c="dimmed">Ctrl+Enter to send</Text>
        <Button onClick={() => void send()} disabled={!body.trim() || writer.pending} loading={writer.pending}>
          Comment
        </Button>
      </Group>
    </Stack>
  );
}
