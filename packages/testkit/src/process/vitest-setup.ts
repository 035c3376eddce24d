// For vitest's `setupFiles`, in every test process:
// - rtc-node's own logger prints its debug lines ("Connect callback received", one per room) to
//   stdout, past vitest's output capture: off (warn and above) unless TEST_LOG_LEVEL asks for more.
// - The apps' logs are kept, not printed (log-capture.ts, startNodeApp); when a test fails, the
//   tail of each is printed under it, so a failure comes with what the apps said.
import { afterEach } from 'vitest';
import { openCaptures } from './log-capture.js';
import { logLevelFrom, setRtcNodeLogLevel } from './sdk-logs.js';

setRtcNodeLogLevel(logLevelFrom(process.env.TEST_LOG_LEVEL, 'warn'));

afterEach(({ task }) => {
  if (task.result?.state !== 'fail' || process.env.TEST_LOG_LEVEL) return;
  for (const capture of openCaptures()) {
    const tail = capture.tail();
    if (tail) console.log(`--- ${capture.name} log (last lines) ---\n${tail}`);
  }
});
