import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderView } from '../../test/render';
import { CommentBox } from './CommentBox';
import { CommentText } from './CommentText';
import type { IncidentWriter } from './useIncidentWrite';

function rendered(body: string): HTMLElement {
  renderView(<CommentText body={body} />);
  return screen.getByTestId('comment-body');
}

describe('CommentText', () => {
  it('renders Markdown: headings (below the page’s), lists, code, emphasis', () => {
    const body = rendered('# Findings\n\nThe host is **compromised**, *probably*.\n\n- one\n- two\n\n1. first\n\nRun `whoami`:\n\n```\nnetstat -an\n```');
    expect(within(body).getByRole('heading', { name: 'Findings', level: 4 })).toBeTruthy();
    expect(body.querySelector('strong')?.textContent).toBe('compromised');
    expect(body.querySelector('em')?.textContent).toBe('probably');
    expect(within(body).getAllByRole('list')).toHaveLength(2);
    expect(within(body).getAllByRole('listitem').map((item) => item.textContent)).toEqual(['one', 'two', 'first']);
    expect(body.querySelector('p code')?.textContent).toBe('whoami');
    expect(body.querySelector('pre code')?.textContent).toBe('netstat -an\n');
  });

  it('opens http(s) and mailto links in a new tab without opener or referrer', () => {
    const body = rendered('[runbook](https://wiki.example/runbook) [mail](mailto:soc@example.org) <http://plain.example/>');
    const links = within(body).getAllByRole('link');
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['https://wiki.example/runbook', 'mailto:soc@example.org', 'http://plain.example/']);
    for (const link of links) {
      expect(link.getAttribute('target')).toBe('_blank');
      expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('drops javascript:, data: and relative link targets: the text stays, the link goes', () => {
    const body = rendered('[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](data:text/html;base64,PHNjcmlwdD4=) [d](/api/v1/users) [e](vbscript:x)');
    expect(within(body).queryAllByRole('link')).toHaveLength(0);
    expect(body.querySelector('[href]')).toBeNull();
    expect(body.textContent).toBe('a b c d e');
  });

  it('shows raw HTML as text: no script, img, iframe or event handler reaches the DOM', () => {
    const html = '<script>window.pwned = true</script>\n\n<img src=x onerror="window.pwned = true">\n\n<iframe src="https://evil.example/"></iframe> <b onclick="x()">bold</b>';
    const body = rendered(html);
    for (const tag of ['script', 'img', 'iframe', 'b']) expect(body.querySelector(tag), tag).toBeNull();
    expect(body.querySelector('[onerror],[onclick]')).toBeNull();
    expect(body.textContent).toContain('<script>window.pwned = true</script>');
    expect(body.textContent).toContain('<img src=x onerror="window.pwned = true">');
    expect((window as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it('does not load Markdown images; it links to them instead', () => {
    const body = rendered('![beacon](https://tracker.example/p.png) ![bad](javascript:alert(1))');
    expect(body.querySelector('img')).toBeNull();
    const link = within(body).getByRole('link', { name: '[image: beacon]' });
    expect(link.getAttribute('href')).toBe('https://tracker.example/p.png');
    expect(body.textContent).toContain('[image: bad]');
    expect(within(body).getAllByRole('link')).toHaveLength(1);
  });
});

describe('CommentBox', () => {
  it('previews through the same renderer and sends the Markdown as written', async () => {
    const user = userEvent.setup();
    const write = vi.fn(async () => true);
    const writer: IncidentWriter = { write, pending: false, conflict: false, error: null, dismiss: () => undefined };
    renderView(<CommentBox writer={writer} />);
    await user.type(screen.getByRole('textbox', { name: 'Comment' }), '## Plan{enter}{enter}- isolate [[host](https://edr.example/h/1){enter}- <img src=x onerror=alert(1)>');
    await user.click(screen.getByRole('tab', { name: 'Preview' }));
    const preview = await screen.findByTestId('comment-body');
    expect(within(preview).getByRole('heading', { name: 'Plan', level: 5 })).toBeTruthy();
    expect(within(preview).getByRole('link', { name: 'host' }).getAttribute('rel')).toBe('noopener noreferrer');
    expect(preview.querySelector('img')).toBeNull();
    expect(preview.textContent).toContain('<img src=x onerror=alert(1)>');

    await user.click(screen.getByRole('button', { name: 'Comment' }));
    expect(write).toHaveBeenCalledWith({ path: '/comments', body: { body: '## Plan\n\n- isolate [host](https://edr.example/h/1)\n- <img src=x onerror=alert(1)>' } });
  });
});
