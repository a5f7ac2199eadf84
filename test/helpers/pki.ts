/** A throwaway CA (EC P-256) and server certificates it signs, for 127.0.0.1 and localhost, made with the real openssl. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (apt-get install openssl); the TLS tests need it to make a CA and a server certificate');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? String(error)}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA and a first server certificate (`server.crt`/`server.key`). */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'owm-pki-'));
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=otel-workspace-metrics test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const { cert, key } = issueServerCertificate(dir, 'server');
  return { dir, ca: join(dir, 'ca.crt'), cert, key };
}

/** Another server certificate and key from the same CA: `<name>.crt`, `<name>.key` in `dir`. */
export function issueServerCertificate(dir: string, name: string): { cert: string; key: string } {
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost'], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', 'server.ext'], dir);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
