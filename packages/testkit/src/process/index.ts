export { startNodeApp, type NodeApp } from './node-app.js';
export { logLevelFrom, setRtcNodeLogLevel, type LogLevel } from './sdk-logs.js';
export { captureLog, openCaptures, type LogCapture } from './log-capture.js';
export { stopChild } from './stop-child.js';
