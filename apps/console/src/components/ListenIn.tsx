import { useCallRoom } from '../hooks/useCallRoom';
import { ErrorNote } from './ErrorNote';

/**
 * Listen in (both sides play in the page, a level meter per participant) or take over (the
 * operator's microphone goes to the caller; the agent stays silent until "Hand back").
 */
export function ListenIn({ sid }: { sid: string }) {
  const { state, mode, speakers, error, start, stop, sink } = useCallRoom(sid);
  return (
    <div className="listen" data-testid="listen" data-state={state} data-mode={mode}>
      {state === 'off' ? (
        <>
          <button onClick={() => void start('listen')}>Listen in</button>
          <button onClick={() => void start('takeover')}>Take over</button>
        </>
      ) : (
        <button onClick={() => void stop()} disabled={state === 'joining'}>
          {state === 'joining' ? 'Joining…' : mode === 'takeover' ? 'Hand back' : 'Stop listening'}
        </button>
      )}
      {state === 'on' && mode === 'takeover' && <strong className="error">You have the call: speak.</strong>}
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
