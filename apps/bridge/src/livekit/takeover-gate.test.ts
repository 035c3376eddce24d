import { describe, expect, it } from 'vitest';
import { TakeoverGate } from './takeover-gate.js';

describe('TakeoverGate', () => {
  it('passes every track until an operator takes over, then only theirs, until they leave', () => {
    const changes: (string | null)[] = [];
    const gate = new TakeoverGate((op) => changes.push(op));
    expect(gate.passes('agent-1')).toBe(true);
    gate.note('operator-listen', { 'callbridge.operator': 'listen' });
    expect(changes).toEqual([]);
    gate.note('operator-alice', { 'callbridge.operator': 'takeover' });
    gate.note('operator-alice', { 'callbridge.operator': 'takeover', other: 'x' });
    expect(changes).toEqual(['operator-alice']);
    expect(gate.passes('agent-1')).toBe(false);
    expect(gate.passes('operator-alice')).toBe(true);
    gate.left('agent-1');
    gate.left('operator-alice');
    expect(changes).toEqual(['operator-alice', null]);
    expect(gate.passes('agent-1')).toBe(true);
  });
});
