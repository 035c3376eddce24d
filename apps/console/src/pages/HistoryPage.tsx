import { useCallback, useEffect, useState } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { HistoryFilters, NO_FILTERS, type Filters } from '../components/HistoryFilters';
import { api } from '../lib/api';
import { duration, time } from '../lib/format';
import { navigate } from '../lib/router';
import type { CallSummary } from '../lib/types';

interface Page {
  calls: CallSummary[];
  next_cursor: string | null;
}

function query(f: Filters, cursor: string | null): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  if (cursor) q.set('cursor', cursor);
  q.set('limit', '50');
  return q.toString();
}

/** Past (and current) calls, newest first, with filters and search in what was said. */
export function HistoryPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [calls, setCalls] = useState<CallSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async (f: Filters, after: string | null) => {
    setError(null);
    try {
      const page = await api<Page>('GET', `/api/calls?${query(f, after)}`);
      setCalls((prev) => (after ? [...prev, ...page.calls] : page.calls));
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(filters, null), [filters, load]);
  return (
    <section>
      <h2>History</h2>
      <HistoryFilters onApply={setFilters} />
      <ErrorNote error={error} />
      <table className="calls" data-testid="history">
        <thead>
          <tr>
            <th>Started</th>
            <th>Direction</th>
            <th>From</th>
            <th>To</th>
            <th>Outcome</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => (
            <tr
              key={c.sid}
              data-sid={c.sid}
              className="clickable"
              onClick={() => navigate(`/calls/${c.sid}`)}
            >
              <td>{time(c.created_at)}</td>
              <td>{c.direction}</td>
              <td>{c.from}</td>
              <td>{c.to}</td>
              <td>{c.outcome ?? 'live'}</td>
              <td>{duration(c.duration_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && <button onClick={() => void load(filters, cursor)}>More</button>}
    </section>
  );
}
