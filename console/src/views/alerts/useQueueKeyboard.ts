import { useEffect, useRef } from 'react';

/** What the queue's keys do. */
export interface QueueKeys {
  move: (delta: number) => void;
  toggle: () => void;
  acknowledge: () => void;
  close: () => void;
  open: () => void;
  /** Absent when the console's own help dialog answers `?` (the key is then left to it). */
  help?: () => void;
}

/** True when a key press belongs to what has focus (typing, a button, a link, a dialog). */
function ownedByTarget(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest('input, textarea, select, [role="dialog"], [role="menu"], [role="listbox"]')) return true;
  return key === 'Enter' && target.closest('a, button') !== null;
}

/**
 * The queue's shortcuts (j/k, x, a, c, Enter, ?) on the document while `enabled`; a key goes to
 * the queue only when nothing else wants it (a field being typed in, an open dialog).
 */
export function useQueueKeyboard(keys: QueueKeys, enabled: boolean): void {
  const current = useRef(keys);
  useEffect(() => {
    current.current = keys;
  });
  useEffect(() => {
    if (!enabled) return undefined;
    const onKey = (event: KeyboardEvent): void => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (ownedByTarget(event.target, event.key)) return;
      const handlers = current.current;
      const run: Record<string, (() => void) | undefined> = {
        j: () => handlers.move(1),
        k: () => handlers.move(-1),
        x: handlers.toggle,
        a: handlers.acknowledge,
        c: handlers.close,
        Enter: handlers.open,
        '?': handlers.help,
      };
      const handler = run[event.key];
      if (!handler) return;
      event.preventDefault();
      handler();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [enabled]);
}
