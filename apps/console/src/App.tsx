import { useEffect, useState } from 'react';
import { Nav } from './components/Nav';
import { api } from './lib/api';
import { useRoute } from './lib/router';
import { CallPage } from './pages/CallPage';
import { HistoryPage } from './pages/HistoryPage';
import { LiveCallsPage } from './pages/LiveCallsPage';
import { LoginPage } from './pages/LoginPage';
import { PlaceCallPage } from './pages/PlaceCallPage';

/** Who is logged in (null: nobody; undefined: still asking the bridge). */
function useOperator() {
  const [operator, setOperator] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    api<{ operator: string }>('GET', '/api/operator/me')
      .then((me) => setOperator(me.operator))
      .catch(() => setOperator(null));
  }, []);
  return [operator, setOperator] as const;
}

function Page({ route }: { route: string }) {
  const call = /^\/calls\/(CA[0-9a-fA-F]{32})$/.exec(route);
  if (call) return <CallPage sid={call[1]!} />;
  if (route === '/history') return <HistoryPage />;
  if (route === '/place') return <PlaceCallPage />;
  return <LiveCallsPage />;
}

export function App() {
  const [operator, setOperator] = useOperator();
  const route = useRoute();
  if (operator === undefined) return <p className="muted">Loading…</p>;
  if (operator === null) return <LoginPage onLogin={setOperator} />;
  return (
    <>
      <Nav operator={operator} route={route} onLogout={() => setOperator(null)} />
      <main>
        <Page route={route} />
      </main>
    </>
  );
}
