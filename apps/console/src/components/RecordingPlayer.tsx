import { duration } from '../lib/format';
import type { CallRecordingLink } from '../lib/types';

/**
 * A finished call's recording: the browser's own player on `GET /api/calls/:sid/recording` (same
 * origin, the session cookie). Nothing is fetched until the operator presses play, so opening a
 * call's page is not a listen in the record's operator actions.
 */
export function RecordingPlayer({ recording }: { recording: CallRecordingLink }) {
  return (
    <figure className="recording" data-testid="recording">
      <figcaption>
        Recording, {duration(recording.duration_ms)} ({Math.round(recording.bytes / 1024)} KB): caller on the
        left channel, agent on the right
      </figcaption>
      <audio controls preload="none" src={recording.url} />
    </figure>
  );
}
