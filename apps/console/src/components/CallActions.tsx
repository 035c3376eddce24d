import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { ErrorNote } from './ErrorNote';

/** End or transfer a live call; the bridge's refusals are shown as it words them. */
export function CallActions({ sid }: { sid: string }) {
  const [to, setTo] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const act = async (what: string, path: string, body?: unknown) => {
    setError(null);
    try {
      await api('POST', `/api/operator/calls/${sid}/${path}`, body);
      setDone(what);
    } catch (err) {
      setError(err);
    }
  };
  const transfer = (e: FormEvent) => {
    e.preventDefault();
    void act(`transferred to ${to}`, 'transfer', { to });
  };
  return (
    <div className="actions">
      <button className="danger" onClick={() => void act('ended', 'end')}>
        End call
      </button>
      <form onSubmit={transfer}>
        <input
          placeholder="+15551234567"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          name="transfer-to"
        />
        <button type="submit">Transfer</button>
      </form>
      {done && <span className="muted">Call {done}.</span>}
      <ErrorNote error={error} />
    </div>
  );
}
