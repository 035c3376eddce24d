/**
 * The command line of the repository's scripts and benchmarks, read alike everywhere: node:util
 * `parseArgs` (strict, no positionals) with `--help` (or `-h`) added, which prints the usage to
 * stdout and exits 0, and an unknown option or a missing value printed as one line,
 * `<name>: <message> (see --help)`, to stderr with exit 2. Nothing else is checked here: each
 * script checks its values itself.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The options as `parseArgs` takes them (node:util does not export this type by name). */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** The values of a command line with `options` (and --help, always false once returned). */
export type CommandLineValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O & typeof HELP }>
>['values'];

export interface CommandLineSettings {
  /** The arguments (default: `process.argv.slice(2)`). */
  args?: string[];
  /**
   * Ignore a leading `--`, as `pnpm run <script> -- --flag` passes it (default: false, when it
   * ends the options and what follows is refused as a positional argument).
   */
  dropLeadingDashDash?: boolean;
  /** Where the usage goes (default: `console.log`). */
  out?: (text: string) => void;
  /** Where the error line goes (default: `console.error`). */
  err?: (text: string) => void;
  /** How the process ends (default: `process.exit`). */
  exit?: (code: number) => never;
}

/**
 * The values of the command line, given `options` as `parseArgs` takes them (without `help`);
 * prints `usage` and exits 0 on --help, prints `<name>: <message> (see --help)` and exits 2 on an
 * unknown option or a missing value.
 */
export function commandLine<O extends ParseArgsOptionsConfig>(
  name: string,
  usage: string,
  options: O,
  settings: CommandLineSettings = {},
): CommandLineValues<O> {
  const {
    args = process.argv.slice(2),
    dropLeadingDashDash = false,
    out = (text) => console.log(text),
    err = (text) => console.error(text),
    exit = (code) => process.exit(code),
  } = settings;
  let values: CommandLineValues<O>;
  try {
    values = parseArgs({
      args: dropLeadingDashDash && args[0] === '--' ? args.slice(1) : args,
      options: { ...options, ...HELP },
    }).values;
  } catch (error) {
    err(`${name}: ${(error as Error).message} (see --help)`);
    return exit(2);
  }
  if ((values as { help?: boolean }).help) {
    out(usage);
    return exit(0);
  }
  return values;
}
