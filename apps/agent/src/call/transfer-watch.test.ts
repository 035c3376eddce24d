import type { TransferState } from '@callbridge/room-contract';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { SilenceWatchdog } from './silence-watchdog.js';
import { transferFailedInstructions, watchTransfers } from './transfer-watch.js';

describe('watchTransfers', () => {
  it('holds silence while the transfer dials and tells the model why it failed', () => {
    let emit!: (s: TransferState) => void;
    const hold = vi.fn();
    const reply = vi.fn();
    const stop = vi.fn();
    const unsubscribe = watchTransfers({
      onTransfer: (onState) => ((emit = onState), stop),
      hold,
      reply,
      log: pino({ level: 'silent' }),
    });
    emit({ attempt: 1, state: 'dialing', to: '+15550001111' });
    expect(hold).toHaveBeenLastCalledWith(true);
    expect(reply).not.toHaveBeenCalled();
    emit({ attempt: 1, state: 'failed', to: '+15550001111', reason: 'no-answer' });
    expect(hold).toHaveBeenLastCalledWith(false);
    expect(reply).toHaveBeenCalledWith(
      expect.stringContaining('The transfer to +15550001111 did not go through: nobody answered'),
    );
    emit({ attempt: 2, state: 'connected', to: '+15550001111' });
    expect(reply).toHaveBeenCalledTimes(1);
    unsubscribe();
    expect(stop).toHaveBeenCalled();
  });

  it('words every reason', () => {
    for (const reason of ['no-answer', 'busy', 'failed', 'canceled', 'declined'] as const)
      expect(transferFailedInstructions({ attempt: 1, state: 'failed', to: '+1555', reason })).toMatch(
        /did not go through: \w/,
      );
  });
});

describe('SilenceWatchdog.pause', () => {
  it('does not reprompt a caller on hold, and counts afresh once they are back', () => {
    vi.useFakeTimers();
    try {
      const onReprompt = vi.fn();
      const dog = new SilenceWatchdog({ silenceMs: 1000, maxReprompts: 1, onReprompt, onGiveUp: vi.fn() });
      dog.agentState('listening');
      dog.pause(true);
      vi.advanceTimersByTime(5000);
      expect(onReprompt).not.toHaveBeenCalled();
      dog.pause(false);
      vi.advanceTimersByTime(1000);
      expect(onReprompt).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
