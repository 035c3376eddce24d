export { startNodeApp, type NodeApp } from './node-app.js';
