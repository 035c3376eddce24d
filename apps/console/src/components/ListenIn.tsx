import { useListenIn } from '../hooks/useListenIn';
import { ErrorNote } from './ErrorNote';

/** Plays both sides of a live call in the page, with a level meter per participant. */
export function ListenIn({ sid }: { sid: string }) {
  const { state, speakers, error, start, stop, sink } = useListenIn(sid);
  return (
    <div className="listen" data-testid="listen" data-state={state}>
      {state === 'off' ? (
        <button onClick={() => void start()}>Listen in</button>
      ) : (
        <button onClick={() => void stop()} disabled={state === 'joining'}>
          {state === 'joining' ? 'Joining…' : 'Stop listening'}
        </button>
      )}
      <ul className="levels">
        {speakers.map((s) => (
          <li key={s.identity} data-testid="level" data-identity={s.identity} data-rms={s.level.toFixed(5)}>
            <span>{s.identity.startsWith('phone-') ? 'caller' : s.identity}</span>
            <meter min={0} max={0.5} value={s.level} />
          </li>
        ))}
      </ul>
      <div ref={sink} hidden />
      <ErrorNote error={error} />
    </div>
  );
}
