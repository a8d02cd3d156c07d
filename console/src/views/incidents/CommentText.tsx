import { Anchor, Typography } from '@mantine/core';
import type { ComponentProps } from 'react';
import Markdown, { defaultUrlTransform, type Components, type UrlTransform } from 'react-markdown';

/** The schemes a link in a comment may use; anything else (javascript:, data:, relative) is dropped. */
const LINK_SCHEMES = /^(?:https?|mailto):/i;

/**
 * react-markdown's own transform first (it already empties javascript: and other unsafe URLs),
 * then only http(s) and mailto: a comment is written by one analyst and read by all.
 */
export const commentUrlTransform: UrlTransform = (url) => {
  const safe = defaultUrlTransform(url);
  return LINK_SCHEMES.test(safe.trim()) ? safe : '';
};

/** Every link leaves the console in a new tab without handing it the opener or the referrer. */
function CommentLink({ href, children }: ComponentProps<'a'>) {
  if (!href) return <span>{children}</span>;
  return (
    <Anchor href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </Anchor>
  );
}

/**
 * Images are not loaded (a remote image in a comment would tell a third party who read it and
 * when): shown as a link to the image instead, or just its text when its URL is not allowed.
 */
function CommentImage({ src, alt }: ComponentProps<'img'>) {
  const label = alt ? `image: ${alt}` : 'image';
  if (typeof src !== 'string' || !src) return <span>[{label}]</span>;
  return <CommentLink href={src}>[{label}]</CommentLink>;
}

/** Headings inside a comment sit below the page's and the timeline's own headings. */
const HEADINGS: Components = {
  h1: ({ children }) => <h4>{children}</h4>,
  h2: ({ children }) => <h5>{children}</h5>,
  h3: ({ children }) => <h6>{children}</h6>,
  h4: ({ children }) => <h6>{children}</h6>,
  h5: ({ children }) => <h6>{children}</h6>,
  h6: ({ children }) => <h6>{children}</h6>,
};

const COMPONENTS: Components = { ...HEADINGS, a: CommentLink, img: CommentImage };

/**
 * A comment's Markdown rendered with react-markdown: headings, lists, code, emphasis, quotes and
 * links. Raw HTML in the text is shown as text, never parsed (no rehype-raw: never add it), and
 * no HTML from the API reaches the page any other way.
 */
export function CommentText({ body }: { readonly body: string }) {
  return (
    <Typography data-testid="comment-body" fz="sm" style={{ wordBreak: 'break-word' }}>
      <Markdown urlTransform={commentUrlTransform} components={COMPONENTS}>
        {body}
      </Markdown>
    </Typography>
  );
}
