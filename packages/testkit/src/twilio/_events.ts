/** What a simulated call reports, each with a wall-clock time from `performance.now()`. */

/** The caller starts hearing audio after silence (a frame above the silence floor is played). */
export interface AudioOnset {
  atMs: number;
  /** Position in the heard timeline, ms from its start. */
  heardMs: number;
}

/**
 * Onsets timed to their first sound sample, as the plain LiveKit hop times its markers: `sent`,
 * the caller's (its frame's tick + its place in the frame); `heard`, the caller hearing the
 * server's (the tick its frame plays at + its place in it); `received`, the server's reaching
 * Twilio (the media message's arrival minus the audio after it: where the bridge's hop ends).
 */
export interface OnsetSampleTimes {
  sent: readonly number[];
  heard: readonly number[];
  received: readonly number[];
}

export interface MarkEcho {
  name: string;
  atMs: number;
  /** True when echoed because of a `clear` rather than because playback reached it. */
  cleared: boolean;
}

export interface ClearEvent {
  atMs: number;
  /** Queued audio that was dropped, in ms. */
  droppedMs: number;
  /** Marks echoed because of this clear. */
  marks: string[];
  /** Server audio played to the caller since the stream started, up to this clear, in ms. */
  playedMs: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Who ended the stream: the server (bridge), the simulator (hangup/drop), or no stream at all. */
  by: 'server' | 'simulator' | 'never-opened';
  atMs: number;
}

export interface SimulatedCallEvents {
  media: [AudioOnset];
  mark: [MarkEcho];
  clear: [ClearEvent];
  close: [CloseInfo];
  violation: [string];
}
