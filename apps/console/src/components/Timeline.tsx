import type { CallView } from '../hooks/useCallEvents';
import { json, time } from '../lib/format';

interface Entry {
  at: string;
  kind: 'transcript' | 'tool' | 'status' | 'operator';
  who: string;
  text: string;
}

/** Everything that happened in the call, in order: both sides' words, tool calls, events, operators. */
function entries(view: CallView): Entry[] {
  const all: Entry[] = [
    ...view.transcript.map((l) => ({ at: l.at, kind: 'transcript' as const, who: l.speaker, text: l.text })),
    ...view.toolCalls.map((t) => ({
      at: t.started_at,
      kind: 'tool' as const,
      who: 'tool',
      text: `${t.name}(${json(t.arguments)}) → ${t.error ? `error: ${t.error}` : json(t.result)}`,
    })),
    ...view.statuses.map((s) => ({
      at: s.at,
      kind: 'status' as const,
      who: 'event',
      text: s.detail ? `${s.status}: ${s.detail}` : s.status,
    })),
    ...view.actions.map((a) => ({
      at: a.at,
      kind: 'operator' as const,
      who: a.operator,
      text: `${a.action}${a.detail ? ` ${json(a.detail)}` : ''} → ${a.result}`,
    })),
  ];
  return all.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function Timeline({ view }: { view: CallView }) {
  const list = entries(view);
  if (list.length === 0) return <p className="muted">Nothing yet.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {list.map((e, i) => (
        <li key={i} className={`entry entry-${e.kind} who-${e.who}`} data-kind={e.kind} data-who={e.who}>
          <time>{time(e.at)}</time>
          <span className="who">{e.who}</span>
          <span className="text">{e.text}</span>
        </li>
      ))}
    </ol>
  );
}
