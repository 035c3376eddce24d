/**
 * Logs that tests keep instead of printing: an app's lines go into a bounded buffer, and a failed
 * test prints the tail of every buffer alive in its file (see vitest-setup.ts). A passing run
 * prints nothing; TEST_LOG_LEVEL echoes everything as it happens.
 */
const MAX_LINES = 400;
const captures = new Set<LogCapture>();

export interface LogCapture {
  readonly name: string;
  /** A pino destination (anything with write(string)). */
  write(chunk: string): void;
  /** The last `lines` lines. */
  tail(lines?: number): string;
  /** Stops keeping it (the app closed). */
  close(): void;
}

export function captureLog(name: string): LogCapture {
  const lines: string[] = [];
  const echo = Boolean(process.env.TEST_LOG_LEVEL);
  const capture: LogCapture = {
    name,
    write(chunk) {
      if (echo) process.stderr.write(`[${name}] ${chunk.endsWith('\n') ? chunk : `${chunk}\n`}`);
      for (const line of chunk.split('\n')) if (line) lines.push(line);
      if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
    },
    tail(n = 40) {
      return lines.slice(-n).join('\n');
    },
    close() {
      captures.delete(capture);
    },
  };
  captures.add(capture);
  return capture;
}

/** Every capture still open, for printing after a failure. */
export function openCaptures(): LogCapture[] {
  return [...captures];
}
