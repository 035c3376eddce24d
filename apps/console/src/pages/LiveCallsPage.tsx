import { useLiveCalls } from '../hooks/useLiveCalls';
import { useNow } from '../hooks/useNow';
import { duration, millis } from '../lib/format';
import { navigate } from '../lib/router';
import type { LiveCall } from '../lib/types';

function Row({ call, now }: { call: LiveCall; now: number }) {
  const since = Date.parse(call.stream_started_at ?? call.answered_at);
  const turns = call.turn_latencies_ms;
  return (
    <tr data-sid={call.sid} className="clickable" onClick={() => navigate(`/calls/${call.sid}`)}>
      <td>{call.caller}</td>
      <td>{call.direction}</td>
      <td>{duration(now - since)}</td>
      <td>
        <span className={`state state-${call.agent_state}`}>{call.agent_state}</span>
      </td>
      <td>{millis(call.greeting_ms)}</td>
      <td>{turns.length ? `${millis(turns.at(-1))} (${turns.length} turns)` : '—'}</td>
    </tr>
  );
}

export function LiveCallsPage() {
  const { calls, state } = useLiveCalls();
  const now = useNow();
  return (
    <section>
      <h2>
        Live calls <span className="muted">({calls.length})</span>{' '}
        <small className={`feed feed-${state}`}>{state === 'open' ? 'live' : state}</small>
      </h2>
      {calls.length === 0 ? (
        <p className="muted">No active calls.</p>
      ) : (
        <table className="calls" data-testid="live-calls">
          <thead>
            <tr>
              <th>Caller</th>
              <th>Direction</th>
              <th>Duration</th>
              <th>Agent</th>
              <th>Greeting</th>
              <th>Last turn</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <Row key={c.sid} call={c} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
