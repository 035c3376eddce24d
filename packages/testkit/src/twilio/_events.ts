/** What a simulated call reports, each with a wall-clock time from `performance.now()`. */

/** The caller starts hearing audio after silence (a frame above the silence floor is played). */
export interface AudioOnset {
  atMs: number;
  /** Position in the heard timeline, ms from its start. */
  heardMs: number;
}

/**
 * Latency markers (a loud sample after 40 ms of quiet), timed to that sample with the detector the
 * plain LiveKit hop and the echo participants use: `sent`, in the caller's audio from when its
 * frame went out; `heard`, by the caller from when its frame played; `received`, at Twilio from the
 * server's media message (its last sample at its arrival): where the bridge's downlink ends and
 * the line's playout begins.
 */
export interface LineMarkerOnsets {
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
