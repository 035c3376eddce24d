import { useState, type FormEvent } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { api } from '../lib/api';
import { navigate } from '../lib/router';

/** Place an outbound call with a task (POST /api/calls: allow-list and rate limits apply). */
export function PlaceCallPage() {
  const [to, setTo] = useState('');
  const [task, setTask] = useState('');
  const [instructions, setInstructions] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const call = await api<{ sid: string }>('POST', '/api/calls', {
        to,
        task,
        ...(instructions && { instructions }),
      });
      navigate(`/calls/${call.sid}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="place" onSubmit={(e) => void submit(e)}>
      <h2>Place a call</h2>
      <label>
        To
        <input name="to" placeholder="+15551234567" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <label>
        Task
        <textarea name="task" value={task} onChange={(e) => setTask(e.target.value)} />
      </label>
      <label>
        Instructions (optional)
        <textarea
          name="instructions"
          value={instructions}
          onChange={(e) => setInstructions(e.target.value)}
        />
      </label>
      <button type="submit">Call</button>
      <ErrorNote error={error} />
    </form>
  );
}
