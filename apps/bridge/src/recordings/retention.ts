import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const RECORDING_FILE = /^(CA[0-9a-fA-F]{32})\.wav$/;

/**
 * Deletes the recordings in `dir` last written before `cutoffMs` (epoch ms); resolves with the
 * CallSids whose file went. Only files named like ours (`CA….wav`) are touched.
 */
export async function sweepRecordings(dir: string, cutoffMs: number): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const deleted: string[] = [];
  for (const name of names) {
    const callSid = RECORDING_FILE.exec(name)?.[1];
    if (!callSid) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.mtimeMs >= cutoffMs) continue;
    await unlink(path).then(
      () => deleted.push(callSid),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
  }
  return deleted;
}
