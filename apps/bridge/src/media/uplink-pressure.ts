/**
 * The caller uplinks of all calls on this bridge, summed per sampling window for admission: frames
 * handed to LiveKit, frames dropped over the capture backlog bound, and the backlog each frame met.
 */
export class UplinkPressure {
  private frames = 0;
  private dropped = 0;
  private backlogMsSum = 0;

  /** One caller frame was handed on (`dropped` frames were dropped doing so) over `backlogMs` of backlog. */
  note(dropped: number, backlogMs: number): void {
    this.frames++;
    this.dropped += dropped;
    this.backlogMsSum += backlogMs;
  }

  /**
   * The window since the last take: dropped frames as a % of frames in, and the mean backlog (ms).
   * Fewer than `minFrames` frames say nothing (both 0): a call's first frames are no trend.
   */
  take(minFrames = 50): { frames: number; dropPct: number; backlogMs: number } {
    const { frames, dropped, backlogMsSum } = this;
    this.frames = this.dropped = this.backlogMsSum = 0;
    if (frames < minFrames) return { frames, dropPct: 0, backlogMs: 0 };
    return { frames, dropPct: (dropped / frames) * 100, backlogMs: backlogMsSum / frames };
  }
}
