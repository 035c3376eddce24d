import { describe, expect, expectTypeOf, it } from 'vitest';
import { commandLine, type CommandLineSettings } from './command-line.js';

const USAGE = 'usage: npm run thing [-- --calls N]';
const OPTIONS = {
  calls: { type: 'string', default: '10' },
  fixed: { type: 'boolean', default: false },
} as const;

/** Runs `commandLine` on `args`, catching what it prints and how it would have exited. */
function run(args: string[], settings: CommandLineSettings = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let code: number | undefined;
  let values: unknown;
  try {
    values = commandLine('bench:thing', USAGE, OPTIONS, {
      args,
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      exit: (c) => {
        code = c;
        throw new Error('exited');
      },
      ...settings,
    });
  } catch (error) {
    if ((error as Error).message !== 'exited') throw error;
  }
  return { values, out, err, code };
}

describe('commandLine', () => {
  it('returns the values, with defaults, and prints nothing', () => {
    expect(run(['--calls', '3'])).toEqual({
      values: { calls: '3', fixed: false, help: false },
      out: [],
      err: [],
      code: undefined,
    });
    expect(run([]).values).toEqual({ calls: '10', fixed: false, help: false });
  });

  it('types the values as parseArgs does: an option with a default is always there', () => {
    const parse = () =>
      commandLine('bench:thing', USAGE, { calls: { type: 'string', default: '10' }, to: { type: 'string' } });
    expectTypeOf(parse).returns.toHaveProperty('calls').toEqualTypeOf<string>();
    expectTypeOf(parse).returns.toHaveProperty('to').toEqualTypeOf<string | undefined>();
    expectTypeOf(parse).returns.toHaveProperty('help').toEqualTypeOf<boolean>();
  });

  it('prints the usage to stdout and exits 0 on --help or -h, whatever else is given', () => {
    for (const args of [['--help'], ['-h'], ['--calls', '3', '-h']]) {
      expect(run(args)).toEqual({ values: undefined, out: [USAGE], err: [], code: 0 });
    }
  });

  it('prints one line naming the command and exits 2 on an unknown option or a missing value', () => {
    const unknown = run(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toEqual([]);
    expect(unknown.err).toHaveLength(1);
    expect(unknown.err[0]).toMatch(/^bench:thing: .*'--bogus'.* \(see --help\)$/);
    expect(unknown.err[0]).not.toContain('\n');

    const missing = run(['--calls']);
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toMatch(/^bench:thing: .*--calls.* \(see --help\)$/);
  });

  it('refuses positional arguments', () => {
    expect(run(['extra']).code).toBe(2);
  });

  it('ignores a leading -- only when told to', () => {
    expect(run(['--', '--calls', '3']).code).toBe(2);
    expect(run(['--', '--calls', '3'], { dropLeadingDashDash: true }).values).toEqual({
      calls: '3',
      fixed: false,
      help: false,
    });
    expect(run(['--', '--help'], { dropLeadingDashDash: true }).code).toBe(0);
    expect(run(['--calls', '3', '--'], { dropLeadingDashDash: true }).values).toMatchObject({ calls: '3' });
  });
});
