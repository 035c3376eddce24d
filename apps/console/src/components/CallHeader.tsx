import { duration, millis, time } from '../lib/format';
import type { CallSummary } from '../lib/types';

export function CallHeader({ call }: { call: CallSummary }) {
  const turns = call.turn_latencies_ms ?? [];
  return (
    <dl className="call-header" data-testid="call-header">
      <dt>Call</dt>
      <dd>{call.sid}</dd>
      <dt>Direction</dt>
      <dd>{call.direction}</dd>
      <dt>From → to</dt>
      <dd>
        {call.from} → {call.to}
      </dd>
      <dt>Started</dt>
      <dd>{time(call.created_at)}</dd>
      <dt>Outcome</dt>
      <dd data-testid="outcome">
        {call.outcome ? `${call.outcome} (${call.outcome_reason ?? ''})` : 'live'}
      </dd>
      <dt>Duration</dt>
      <dd>{duration(call.duration_ms)}</dd>
      <dt>Greeting / turns</dt>
      <dd>
        {millis(call.greeting_ms)} / {turns.map((t) => millis(t)).join(', ') || '—'}
      </dd>
      {call.task && (
        <>
          <dt>Task</dt>
          <dd>{call.task}</dd>
        </>
      )}
    </dl>
  );
}
