import { describe, expect, it } from 'vitest';
import { isStaleFfiHandle } from './ffi-errors.js';

// The shape seen in the bridge's output under overload: `[Error: trying to drop an invalid handle]
// { code: 'GenericFailure' }`, thrown by the FFI binding's FfiHandle.dispose().
const stale = () => Object.assign(new Error('trying to drop an invalid handle'), { code: 'GenericFailure' });

describe('isStaleFfiHandle', () => {
  it('recognises the FFI refusing to drop a handle it has already freed', () => {
    expect(isStaleFfiHandle(stale())).toBe(true);
  });

  it('does not swallow anything else', () => {
    expect(isStaleFfiHandle(new Error('trying to drop an invalid handle'))).toBe(false);
    expect(isStaleFfiHandle(Object.assign(new Error('boom'), { code: 'GenericFailure' }))).toBe(false);
    expect(isStaleFfiHandle('trying to drop an invalid handle')).toBe(false);
    expect(isStaleFfiHandle(undefined)).toBe(false);
  });
});
