export {
  startHaproxy,
  resolveHaproxyBinary,
  type HaproxyServer,
  type StartHaproxyOptions,
} from './server.js';
