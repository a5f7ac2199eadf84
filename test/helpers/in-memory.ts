/** The in-memory kit of the `/testing` subpath export (src/testing/in-memory.ts). */
export { startInMemory, total, labelValues, type InMemoryKit } from '../../src/testing/in-memory';
