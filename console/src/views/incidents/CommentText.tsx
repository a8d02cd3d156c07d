import { Code } from '@mantine/core';

/**
 * A comment's Markdown shown as the text it is: preformatted, line breaks kept, nothing parsed.
 * No Markdown renderer is installed, and the API returns the text unsanitised, so it is never
 * turned into HTML and links are not made clickable (React escapes the text).
 */
export function CommentText({ body }: { readonly body: string }) {
  return (
    <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', fontSize: 'var(--mantine-font-size-sm)' }} data-testid="comment-body">
      {body}
    </Code>
  );
}
