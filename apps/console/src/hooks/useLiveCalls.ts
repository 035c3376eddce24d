import { useState } from 'react';
import type { LiveCall } from '../lib/types';
import { useEventSource, type SseState } from './useEventSource';

/** Every active call on the bridge, from its all-calls feed: added when answered, gone when ended. */
export function useLiveCalls(): { calls: LiveCall[]; state: SseState } {
  const [calls, setCalls] = useState<Map<string, LiveCall>>(new Map());
  const state = useEventSource('/api/operator/calls/live', {
    snapshot: (d) => setCalls(new Map((d as { calls: LiveCall[] }).calls.map((c) => [c.sid, c]))),
    call: (d) => {
      const call = d as LiveCall;
      setCalls((prev) => new Map(prev).set(call.sid, call));
    },
    gone: (d) => {
      const { sid } = d as { sid: string };
      setCalls((prev) => {
        const next = new Map(prev);
        next.delete(sid);
        return next;
      });
    },
  });
  return { calls: [...calls.values()], state };
}
