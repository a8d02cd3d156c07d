import { Modal, type ModalProps } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';

/**
 * Where focus goes back to when a dialog closes: the element that had it when the dialog opened,
 * or the main landmark when that element is gone (a bulk bar that vanished with the selection).
 */
function restore(opener: Element | null): void {
  const active = document.activeElement;
  // The user (or the action) already moved the focus somewhere real: leave it.
  if (active && active !== document.body && active.isConnected) return;
  if (opener instanceof HTMLElement && opener.isConnected) opener.focus({ preventScroll: true });
  else document.querySelector<HTMLElement>('main')?.focus({ preventScroll: true });
}

/**
 * A Mantine Modal for dialogs that are mounted while open and unmounted to close (the triage
 * dialogs). Mantine returns focus only when `opened` flips on a mounted modal; this one remembers
 * the focused element when it mounts and gives the focus back when it unmounts, so a keyboard user
 * continues where the dialog was opened.
 */
export function Dialog(props: Omit<ModalProps, 'opened'>) {
  // Read during the first render: the dialog's focus trap has not moved the focus yet.
  const [opener] = useState<Element | null>(() => document.activeElement);
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      // After the modal's own nodes are gone; skipped if it was remounted (React's StrictMode).
      window.setTimeout(() => {
        if (!mounted.current) restore(opener);
      }, 0);
    };
  }, [opener]);
  return <Modal opened {...props} />;
}
