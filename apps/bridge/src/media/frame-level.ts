/**
 * How loud a frame of caller audio is, cheaply: the mean square of every 4th sample (plenty to
 * tell speech from line noise at 48 kHz), compared with a level in dBFS.
 */
export function reachesDbfs(pcm: Int16Array, dbfs: number): boolean {
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 4) sum += pcm[i]! * pcm[i]!;
  return sum / Math.ceil(pcm.length / 4) >= (32768 * 10 ** (dbfs / 20)) ** 2;
}
