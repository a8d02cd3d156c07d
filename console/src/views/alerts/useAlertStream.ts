import { useEffect, useRef, useState } from 'react';
import type { AlertView } from './types';

/** What the live stream tells the queue. */
export type StreamEvent = { readonly type: 'created' | 'updated'; readonly alert: AlertView } | { readonly type: 'resync' };

/** The state of the live connection, shown next to the queue. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** The stream of the alert queue (api/routes/stream): `alert.created`, `alert.updated`, `resync`. */
export const STREAM_URL = '/api/v1/stream/alerts';

/** Backoff between our own reconnects: 1 s doubling to 30 s. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/**
 * Subscribes to the live alert feed while mounted. The browser's EventSource reconnects by
 * itself after a network drop (and replays from Last-Event-ID); when the server refuses the
 * stream (429, 503, a lapsed session) EventSource gives up, so we open a new one with backoff and
 * then ask for a resync, since a new EventSource has no Last-Event-ID to replay from.
 */
export function useAlertStream(onEvent: (event: StreamEvent) => void): StreamState {
  const [state, setState] = useState<StreamState>(() => (typeof EventSource === 'undefined' ? 'offline' : 'connecting'));
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  });

  useEffect(() => {
    if (typeof EventSource === 'undefined') return undefined;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = FIRST_RETRY_MS;
    let stopped = false;
    let lostUpdates = false;

    const parse = (message: MessageEvent<string>): void => {
      try {
        const data = JSON.parse(message.data) as { type: 'created' | 'updated'; alert: AlertView };
        if (data.alert && typeof data.alert.id === 'string') handler.current({ type: data.type, alert: data.alert });
      } catch {
        // A malformed message is skipped; the next resync repairs the list.
      }
    };
    const connect = (): void => {
      if (stopped) return;
      source = new EventSource(STREAM_URL, { withCredentials: true });
      source.addEventListener('open', () => {
        setState('live');
        delay = FIRST_RETRY_MS;
        if (lostUpdates) {
          lostUpdates = false;
          handler.current({ type: 'resync' });
        }
      });
      source.addEventListener('alert.created', parse as EventListener);
      source.addEventListener('alert.updated', parse as EventListener);
      source.addEventListener('resync', () => handler.current({ type: 'resync' }));
      source.addEventListener('error', () => {
        if (!source || source.readyState !== EventSource.CLOSED) {
          setState('reconnecting');
          return;
        }
        source.close();
        lostUpdates = true;
        setState('offline');
        timer = setTimeout(connect, delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      });
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, []);

  return state;
}
