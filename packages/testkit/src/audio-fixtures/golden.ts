/**
 * Golden fixtures: bytes a tool we did not write (espeak-ng, sox) produced, committed so unit tests
 * read them instead of running the tool. Which way a lookup goes is set by the environment:
 *
 * - `CALLBRIDGE_NO_SYNTH=1` (the unit project): the committed fixture or an error; never the tool.
 * - `CALLBRIDGE_RECORD_FIXTURES=1` (`npm run fixtures:speech`): run the tool, (re)write the fixture.
 * - neither (integration, e2e, scripts): the committed fixture when there is one, else the tool.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

export const RECORD_COMMAND = 'npm run fixtures:speech';

export const recordingFixtures = (): boolean => process.env.CALLBRIDGE_RECORD_FIXTURES === '1';
const synthesisForbidden = (): boolean => process.env.CALLBRIDGE_NO_SYNTH === '1' && !recordingFixtures();

/** The golden bytes at `path`; `produce` runs the tool when the mode allows (see above). */
export function goldenBytes(path: string, what: string, produce: () => Uint8Array): Uint8Array {
  if (!recordingFixtures() && existsSync(path)) return new Uint8Array(readFileSync(path));
  if (synthesisForbidden()) {
    throw new Error(
      `no golden fixture for ${what} (${relative(process.cwd(), path)}). Unit tests never run ` +
        `espeak-ng or sox: run \`${RECORD_COMMAND}\` and commit what it writes.`,
    );
  }
  const bytes = produce();
  if (recordingFixtures()) {
    mkdirSync(dirname(path), { recursive: true });
    // Parallel test files may ask for the same fixture: write aside, then rename (atomic).
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  }
  return bytes;
}

/** A readable, collision-free file-name part for `text` (the hash tells similar texts apart). */
export function slug(text: string, maxChars = 40): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, maxChars) || 'empty'
  );
}
