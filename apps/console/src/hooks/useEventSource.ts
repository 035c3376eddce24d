import { useEffect, useRef, useState } from 'react';

export type SseState = 'connecting' | 'open' | 'closed' | 'error';

/**
 * An EventSource on `url` (the session cookie authenticates it: same origin) with a handler per
 * event name. The browser reconnects on its own after a network error; `closed` means the server
 * ended the stream (e.g. the call ended) and we stopped it.
 */
export function useEventSource(
  url: string | null,
  handlers: Record<string, (data: unknown) => void>,
  closeOn?: string,
): SseState {
  const [state, setState] = useState<SseState>('connecting');
  const ref = useRef(handlers);
  ref.current = handlers;
  const names = Object.keys(handlers).join(',');
  useEffect(() => {
    if (!url) return;
    setState('connecting');
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => setState('open');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'error' : 'connecting');
    for (const name of names.split(',').filter(Boolean)) {
      source.addEventListener(name, (e) => {
        ref.current[name]?.(JSON.parse((e as MessageEvent<string>).data));
        if (name === closeOn) {
          source.close();
          setState('closed');
        }
      });
    }
    return () => source.close();
  }, [url, names, closeOn]);
  return state;
}
