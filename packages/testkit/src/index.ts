export { messageThrownBy } from './thrown.js';
