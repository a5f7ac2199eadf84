/**
 * A failed collection → one bounded reason. PostgreSQL errors carry an
 * SQLSTATE in `code`; socket errors a Node code (`ECONNREFUSED`); node-postgres
 * raises a few plain errors of its own, recognised by message.
 */
import type { QueueHealthErrorReason } from '../catalogue/queue-health';

/** Where the tick was when it failed: getting a connection, or using it. */
export type Phase = 'connect' | 'query';

/** statement_timeout / cancel, lock_timeout, idle_in_transaction_session_timeout. */
const TIMEOUT_STATES = new Set(['57014', '55P03', '25P03']);
/** insufficient_privilege; class 28 is invalid authorization (bad password, no pg_hba entry). */
const PERMISSION_STATES = new Set(['42501']);
/** admin/crash shutdown, cannot connect now, too many connections, no such database. */
const CONNECT_STATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
]);
const CLIENT_TIMEOUT = /query read timeout/i;
const CONNECTION_LOST = /connection terminated|not queryable/i;

export function classifyError(error: unknown, phase: Phase): QueueHealthErrorReason {
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  if (PERMISSION_STATES.has(code) || code.startsWith('28')) return 'permission';
  if (TIMEOUT_STATES.has(code) || CLIENT_TIMEOUT.test(message)) return 'timeout';
  if (phase === 'connect') return 'connect';
  if (code.startsWith('08') || CONNECT_STATES.has(code) || SOCKET_CODES.has(code) || CONNECTION_LOST.test(message)) return 'connect';
  return 'query';
}
