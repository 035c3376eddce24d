import { api } from '../lib/api';
import { navigate } from '../lib/router';

const LINKS = [
  { route: '/', label: 'Live calls' },
  { route: '/history', label: 'History' },
  { route: '/place', label: 'Place a call' },
];

export function Nav(props: { operator: string; route: string; onLogout: () => void }) {
  const logout = async () => {
    await api('POST', '/api/operator/logout').catch(() => undefined);
    props.onLogout();
  };
  return (
    <nav>
      <strong>callbridge</strong>
      {LINKS.map((l) => (
        <a
          key={l.route}
          href={`${import.meta.env.BASE_URL.replace(/\/$/, '')}${l.route}`}
          className={props.route === l.route ? 'active' : ''}
          onClick={(e) => {
            e.preventDefault();
            navigate(l.route);
          }}
        >
          {l.label}
        </a>
      ))}
      <span className="spacer" />
      <span className="muted">{props.operator}</span>
      <button onClick={() => void logout()}>Log out</button>
    </nav>
  );
}
