// The page's one GET /events stream, shared by every view that shows a list: opened for the first
// listener, closed after the last. The API holds one Redis subscription per process for all of them.
import { useEffect, useRef } from 'preact/hooks';
import { token } from './api.js';
import { REFRESH_MS, type Job } from './types.js';

/** The data of an `event: changes` message (QueueChanges in the OpenAPI document). */
export interface Changes {
  /** The newest jobs that changed, as they are now, without params; newest first. */
  jobs: Array<Omit<Job, 'params'>>;
  /** Other jobs that changed: id and new status only. */
  more: Array<{ id: string; status: string }>;
  /** Changes only counted (a flood): a list that must be exact reads again. */
  dropped: number;
  counts: Record<string, number>;
}

export interface FeedListener {
  /** The stream is (again) open: read what you show now; every later change will arrive. */
  onOpen(): void;
  onChanges(changes: Changes): void;
}

const listeners = new Set<FeedListener>();
let source: EventSource | undefined;

let retry: ReturnType<typeof setTimeout> | undefined;

function open(): void {
  const value = token.get();
  const opened = new EventSource(`/events${value ? `?access_token=${encodeURIComponent(value)}` : ''}`);
  source = opened;
  // A refused stream (the API restarted with other tokens, a proxy's error page) is not reopened by
  // EventSource: try again after the page's refresh ceiling.
  opened.onerror = () => {
    if (opened.readyState !== EventSource.CLOSED || source !== opened) return;
    source = undefined;
    retry = setTimeout(() => {
      retry = undefined;
      if (listeners.size > 0 && !source) open();
    }, REFRESH_MS);
  };
  // Fired on every (re)connection: EventSource reconnects by itself after a cut.
  opened.onopen = () => {
    for (const listener of listeners) listener.onOpen();
  };
  // resync: the API lost its subscription for a moment and changes may be missing.
  opened.addEventListener('resync', () => {
    for (const listener of listeners) listener.onOpen();
  });
  opened.addEventListener('changes', (event) => {
    const changes = JSON.parse((event as MessageEvent<string>).data) as Changes;
    for (const listener of listeners) listener.onChanges(changes);
  });
}

function subscribe(listener: FeedListener): () => void {
  listeners.add(listener);
  if (!source) open();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      source?.close();
      source = undefined;
      clearTimeout(retry);
      retry = undefined;
    }
  };
}

/**
 * Follows the stream while the component is mounted and `enabled`; the handlers may change between
 * renders (the latest ones are called).
 */
export function useFeed(enabled: boolean, listener: FeedListener): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    if (!enabled) return undefined;
    return subscribe({ onOpen: () => latest.current.onOpen(), onChanges: (changes) => latest.current.onChanges(changes) });
  }, [enabled]);
}
