// For vitest's `setupFiles`: rtc-node's own logger prints its debug lines ("Connect callback
// received", one per room) to stdout, past vitest's output capture, in every test process. Off
// (warn and above) unless TEST_LOG_LEVEL asks for more; TEST_LOG_LEVEL also echoes the output of
// the apps that startNodeApp runs.
import { logLevelFrom, setRtcNodeLogLevel } from './sdk-logs.js';

setRtcNodeLogLevel(logLevelFrom(process.env.TEST_LOG_LEVEL, 'warn'));
