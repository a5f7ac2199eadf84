/** Throwaway certificates for TLS tests, made with the real openssl: a CA, server certificates it signs (re-issuable, for rotation), a client certificate. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): string {
  try {
    return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (bash scripts/ensure-test-deps.sh installs it)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? String(error)}`);
  }
}

export interface Issued {
  cert: string;
  key: string;
  /** Upper-case hex, as Node's getPeerCertificate().serialNumber prints it. */
  serial: string;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'owm-pki-'));
  readonly ca = join(this.dir, 'ca.crt');
  private issued = 0;

  constructor() {
    openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=otel-workspace-metrics test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], this.dir);
  }

  /** A server certificate for 127.0.0.1 and localhost. */
  server(): Issued {
    return this.issue('serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n', '/CN=localhost');
  }

  /** A client certificate (mutual TLS). */
  client(): Issued {
    return this.issue('clientAuth', '', '/CN=prometheus');
  }

  private issue(usage: string, san: string, subject: string): Issued {
    const name = `${usage}-${++this.issued}`;
    writeFileSync(join(this.dir, `${name}.ext`), `${san}basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n`);
    openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], this.dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], this.dir);
    const serial = openssl(['x509', '-in', `${name}.crt`, '-noout', '-serial'], this.dir).trim().replace(/^serial=/, '').toUpperCase();
    return { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`), serial };
  }
}
