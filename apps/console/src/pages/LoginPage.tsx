import { useState, type FormEvent } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { api } from '../lib/api';

export function LoginPage({ onLogin }: { onLogin: (operator: string) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const me = await api<{ operator: string }>('POST', '/api/operator/login', { name, password });
      onLogin(me.operator);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="login" onSubmit={(e) => void submit(e)}>
      <h1>callbridge console</h1>
      <label>
        Name
        <input name="name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <button type="submit">Log in</button>
      <ErrorNote error={error} />
    </form>
  );
}
