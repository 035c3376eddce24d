import { CallActions } from '../components/CallActions';
import { CallHeader } from '../components/CallHeader';
import { ListenIn } from '../components/ListenIn';
import { RecordingPlayer } from '../components/RecordingPlayer';
import { Timeline } from '../components/Timeline';
import { useCallEvents } from '../hooks/useCallEvents';

/** One call, live or past: its record and everything said and done, as it happens. */
export function CallPage({ sid }: { sid: string }) {
  const { view, state } = useCallEvents(sid);
  if (!view.call) return <p className="muted">{state === 'error' ? `No call ${sid}.` : 'Loading…'}</p>;
  const live = view.call.outcome === null;
  return (
    <section className="call">
      <h2>Call {live ? <span className="live-badge">live</span> : <span className="muted">ended</span>}</h2>
      <CallHeader call={view.call} />
      {live && (
        <>
          <CallActions sid={sid} />
          <ListenIn sid={sid} />
        </>
      )}
      {!live && view.call.recording && <RecordingPlayer recording={view.call.recording} />}
      <h3>Transcript and events</h3>
      <Timeline view={view} />
    </section>
  );
}
