import { useState, type FormEvent } from 'react';

export interface Filters {
  direction: string;
  outcome: string;
  number: string;
  since: string;
  until: string;
  text: string;
}

export const NO_FILTERS: Filters = { direction: '', outcome: '', number: '', since: '', until: '', text: '' };

const OUTCOMES = [
  'completed',
  'caller_hung_up',
  'agent_hung_up',
  'operator_ended',
  'transferred',
  'room_deleted',
  'busy_rejected',
  'failed',
  'stream_dropped',
  'no_stream',
  'room_closed',
  'agent_lost',
  'busy',
  'no_answer',
  'canceled',
  'interrupted',
  'shutdown',
];

export function HistoryFilters({ onApply }: { onApply: (f: Filters) => void }) {
  const [f, setF] = useState<Filters>(NO_FILTERS);
  const set = (key: keyof Filters) => (e: { target: { value: string } }) =>
    setF({ ...f, [key]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(f);
  };
  return (
    <form className="filters" onSubmit={submit}>
      <select name="direction" value={f.direction} onChange={set('direction')}>
        <option value="">any direction</option>
        <option value="inbound">inbound</option>
        <option value="outbound">outbound</option>
      </select>
      <select name="outcome" value={f.outcome} onChange={set('outcome')}>
        <option value="">any outcome</option>
        {OUTCOMES.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      <input name="number" placeholder="+15551234567" value={f.number} onChange={set('number')} />
      <input name="since" type="date" value={f.since} onChange={set('since')} />
      <input name="until" type="date" value={f.until} onChange={set('until')} />
      <input name="text" placeholder="words said" value={f.text} onChange={set('text')} />
      <button type="submit">Search</button>
    </form>
  );
}
